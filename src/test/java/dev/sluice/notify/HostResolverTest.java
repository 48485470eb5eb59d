package dev.sluice.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;

import org.junit.jupiter.api.Test;

class HostResolverTest {

    @Test
    void aResolveTimeoutThatIsNotPositiveStopsStartUp() {
        for (Duration bad : new Duration[] { Duration.ZERO, Duration.ofSeconds(-2) }) {
            IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> HostResolver.requirePositive("WEBHOOK_RESOLVE_TIMEOUT", bad));
            assertTrue(refused.getMessage().startsWith("WEBHOOK_RESOLVE_TIMEOUT must be a positive ISO-8601 "
                    + "duration"), refused.getMessage());
        }
        assertEquals(Duration.ofMillis(500),
                HostResolver.requirePositive("WEBHOOK_RESOLVE_TIMEOUT", Duration.ofMillis(500)));
    }

    @Test
    void nameserversAreAddressesWithAnOptionalPort() {
        assertEquals(new InetSocketAddress("127.0.0.1", 5353), HostResolver.nameserver("127.0.0.1:5353"));
        assertEquals(new InetSocketAddress("10.0.0.2", 53), HostResolver.nameserver("10.0.0.2"));
        assertEquals(new InetSocketAddress("fd00::2", 53), HostResolver.nameserver("fd00::2"));
        assertEquals(new InetSocketAddress("fd00::2", 5300), HostResolver.nameserver("[fd00::2]:5300"));
        for (String bad : new String[] { "ns.example", "10.0.0.2:0", "10.0.0.2:70000", "[fd00::2", "" }) {
            IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> HostResolver.nameserver(bad));
            assertTrue(refused.getMessage().startsWith("WEBHOOK_NAMESERVERS lists '" + bad + "'"),
                    refused.getMessage());
        }
    }
}
