package dev.sluice.auth;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.sluice.web.ErrorCode;
import dev.sluice.web.SluiceException;

/** The address a limit counts under, and the limit's rule, without HTTP ({@code TokenGuessingTest} has it over HTTP). */
class AuthFailureLimitTest {

    @Test
    void anIpv6AddressCountsByItsSlash64AndAnIpv4OneAsItself() {
        String network = AuthFailureLimit.addressKey("2001:db8:1:2:3:4:5:6");
        assertEquals("2001:db8:1:2:0:0:0:0/64", network);
        assertEquals(network, AuthFailureLimit.addressKey("2001:db8:1:2::ffff"));
        assertEquals(network, AuthFailureLimit.addressKey("[2001:0db8:0001:0002::1]"));
        assertEquals(network, AuthFailureLimit.addressKey("2001:db8:1:2::1%eth0"));
        assertEquals("2001:db8:1:3:0:0:0:0/64", AuthFailureLimit.addressKey("2001:db8:1:3::1"));
        assertEquals("0:0:0:0:0:0:0:0/64", AuthFailureLimit.addressKey("0:0:0:0:0:0:0:1"));

        assertEquals("203.0.113.9", AuthFailureLimit.addressKey("203.0.113.9"));
        assertEquals("203.0.113.10", AuthFailureLimit.addressKey("203.0.113.10"));
        // An IPv4 address written inside IPv6 is that IPv4 address, not a /64 shared with others.
        assertEquals("203.0.113.9", AuthFailureLimit.addressKey("::ffff:203.0.113.9"));
    }

    @Test
    void whatIsNotAnAddressCountsAsItselfAndIsNeverResolved() {
        // None of these may reach DNS: a name, an out-of-range quad, a string that only looks numeric.
        for (String other : new String[] { "unknown", "localhost", "example.com", "999.1.1.1", "1.2.3", "g::1",
                ".:", "::zz" }) {
            assertEquals(other, AuthFailureLimit.addressKey(other));
        }
        String longJunk = "x".repeat(5000);
        assertEquals(AuthFailureLimit.MAX_OTHER_KEY, AuthFailureLimit.addressKey(longJunk).length());
        assertEquals("", AuthFailureLimit.addressKey(null));
    }

    @Test
    void pastTheLimitOnlyTokensThatAuthenticatedFromTheAddressPass() {
        AuthFailureLimit limit = new AuthFailureLimit(3);
        String relay = limit.admit("203.0.113.7", "tenant");
        limit.authenticated(relay, "tenant");
        for (int i = 0; i < 4; i++) {
            limit.notFound(limit.admit("203.0.113.7", "guess-" + i));
        }
        SluiceException refused = assertThrows(SluiceException.class, () -> limit.admit("203.0.113.7", "newcomer"));
        assertEquals(429, refused.status());
        assertEquals(ErrorCode.RATE_LIMITED, refused.code());
        long retryAfter = Long.parseLong(refused.headers().get("Retry-After"));
        assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
        assertEquals(relay, limit.admit("203.0.113.7", "tenant"));
        // Another address, and the tenant's token there, are not limited.
        assertDoesNotThrow(() -> limit.admit("203.0.113.8", "newcomer"));
    }

    @Test
    void theLimitCountsMoreThanItsValueAndZeroTurnsItOff() {
        AuthFailureLimit limit = new AuthFailureLimit(2);
        limit.notFound(limit.admit("198.51.100.1", "a"));
        limit.notFound(limit.admit("198.51.100.1", "b"));
        assertDoesNotThrow(() -> limit.admit("198.51.100.1", "c"), "at the limit, not past it");

        AuthFailureLimit off = new AuthFailureLimit(0);
        for (int i = 0; i < 1000; i++) {
            assertNull(off.admit("198.51.100.1", "guess-" + i));
            off.notFound(null);
        }
    }

    @Test
    void aNegativeLimitStopsStartUpWithOneLine() {
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> new AuthFailureLimit(-1));
        assertEquals("AUTH_FAILURE_LIMIT must be 0 (off) or more, got -1", refused.getMessage());
    }
}
