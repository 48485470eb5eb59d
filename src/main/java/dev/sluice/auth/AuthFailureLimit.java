package dev.sluice.auth;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.sluice.web.SluiceException;
import io.quarkus.runtime.StartupEvent;

/**
 * Guessing costs the guesser, not the database (contract §2): a client address that presents more than
 * {@code AUTH_FAILURE_LIMIT} well-formed tokens that are not found within a minute is limited for the rest of that
 * minute. While limited, a token that authenticated from the address in the last hour still passes (a relay carries
 * many tenants' tokens from one address, so one tenant's typo must not lock out the rest); any other is answered 429
 * {@code RATE_LIMITED} before it is looked up.
 * <p>
 * The minute is the address's own, from its first failure. The address is the one Quarkus resolves (forwarding
 * headers count only from {@code quarkus.http.proxy.trusted-proxies}); IPv6 addresses count by their /64, which one
 * host usually holds whole. The counts live in this replica's memory, as an edge's limits do, in caches bounded by
 * size, so a flood of distinct addresses or tokens costs no more memory than the bound.
 */
@ApplicationScoped
public class AuthFailureLimit {

    static final Duration WINDOW = Duration.ofMinutes(1);
    static final Duration PASS_FOR = Duration.ofHours(1);
    static final int MAX_ADDRESSES = 100_000;
    static final int MAX_PASSES = 100_000;
    /** The longest key kept for something Quarkus resolved that is not an IP address. */
    static final int MAX_OTHER_KEY = 64;

    private static final Pattern IPV6_LITERAL = Pattern.compile("[0-9A-Fa-f:][0-9A-Fa-f:.]*");

    /** An address's failures in the window that began at {@code startNanos}. */
    private record Window(long startNanos, int failures) {
    }

    /** A token (by its hash) that authenticated from an address. */
    private record Pass(String address, String tokenHash) {
    }

    private final int limit;
    private final Cache<String, Window> windows;
    private final Cache<Pass, Boolean> passes;

    @Inject
    public AuthFailureLimit(AuthConfig config) {
        this(config.authFailureLimit());
    }

    AuthFailureLimit(int limit) {
        if (limit < 0) {
            throw new IllegalStateException("AUTH_FAILURE_LIMIT must be 0 (off) or more, got " + limit);
        }
        this.limit = limit;
        this.windows = Caffeine.newBuilder().maximumSize(MAX_ADDRESSES).expireAfterWrite(WINDOW).build();
        this.passes = Caffeine.newBuilder().maximumSize(MAX_PASSES).expireAfterWrite(PASS_FOR).build();
    }

    void validateAtStartup(@Observes StartupEvent event) {
        // Constructing the bean is the check; observing start-up forces it before the first request.
    }

    /**
     * The key this limit counts the client {@code host} under, or null when the limit is off. Throws 429
     * {@code RATE_LIMITED} when the address is limited and this token has not authenticated from it in the last hour.
     */
    String admit(String host, String tokenHash) {
        if (limit == 0) {
            return null;
        }
        String address = addressKey(host);
        Window window = windows.getIfPresent(address);
        long now = System.nanoTime();
        if (window != null && window.failures() > limit && isOpen(window, now)
                && passes.getIfPresent(new Pass(address, tokenHash)) == null) {
            long remainingNanos = window.startNanos() + WINDOW.toNanos() - now;
            throw SluiceException.rateLimited(Math.max(1, (remainingNanos + 999_999_999) / 1_000_000_000));
        }
        return address;
    }

    /** A token that was not found, from the address {@link #admit} returned. */
    void notFound(String address) {
        if (address == null) {
            return;
        }
        long now = System.nanoTime();
        // Once past the limit the address's guesses are refused before they are looked up, so the count stops.
        windows.asMap().compute(address, (key, window) -> window == null || !isOpen(window, now)
                ? new Window(now, 1)
                : new Window(window.startNanos(), window.failures() + 1));
    }

    /** A token that authenticated from the address {@link #admit} returned: it passes there for the next hour. */
    void authenticated(String address, String tokenHash) {
        if (address != null) {
            passes.put(new Pass(address, tokenHash), Boolean.TRUE);
        }
    }

    private static boolean isOpen(Window window, long now) {
        return now - window.startNanos() < WINDOW.toNanos();
    }

    /**
     * What the limit counts a client under: an IPv4 address as itself, an IPv6 one by its /64 (an IPv4 address
     * written inside IPv6, {@code ::ffff:a.b.c.d}, as the IPv4 address). Only IP literals are parsed, so no name is
     * ever resolved; anything else Quarkus resolved (a proxy's {@code unknown}) counts as itself, cut short.
     */
    static String addressKey(String host) {
        if (host == null) {
            return "";
        }
        String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        int zone = literal.indexOf('%');
        if (zone >= 0) {
            literal = literal.substring(0, zone);
        }
        byte[] ipv4 = ipv4(literal);
        if (ipv4 != null) {
            return ipv4Text(ipv4);
        }
        if (literal.indexOf(':') >= 0 && IPV6_LITERAL.matcher(literal).matches()) {
            try {
                // A string of hex digits, colons and dots with a colon is parsed as an IPv6 literal or refused,
                // never looked up as a name.
                InetAddress address = InetAddress.getByName(literal);
                if (address instanceof Inet4Address) {
                    return ipv4Text(address.getAddress());
                }
                byte[] prefix = Arrays.copyOf(address.getAddress(), 16);
                Arrays.fill(prefix, 8, 16, (byte) 0);
                return InetAddress.getByAddress(prefix).getHostAddress() + "/64";
            } catch (UnknownHostException notAnAddress) {
                // Falls through: counted as itself.
            }
        }
        return host.length() > MAX_OTHER_KEY ? host.substring(0, MAX_OTHER_KEY) : host;
    }

    /** The four bytes of a dotted-quad IPv4 address, or null. */
    private static byte[] ipv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            int value = Integer.parseInt(part);
            if (value > 255) {
                return null;
            }
            bytes[i] = (byte) value;
        }
        return bytes;
    }

    private static String ipv4Text(byte[] bytes) {
        return (bytes[0] & 0xff) + "." + (bytes[1] & 0xff) + "." + (bytes[2] & 0xff) + "." + (bytes[3] & 0xff);
    }
}
