package dev.sluice.notify;

import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;

import dev.sluice.web.SluiceException;

/**
 * Refuses webhook targets on special-purpose addresses (private, loopback, link-local, documentation, NAT64 and
 * 6to4 spellings of those, ...) unless {@code WEBHOOK_ALLOW_PRIVATE=true}, judged on every address the host resolves
 * to, not on its spelling, and again before every delivery. The sender then connects to the address checked here
 * ({@link Target#address()}), so a DNS answer that changes between check and connect cannot point it inwards. A host
 * that does not resolve within {@code WEBHOOK_RESOLVE_TIMEOUT} is refused like one that does not resolve at all.
 */
@ApplicationScoped
public class WebhookTargets {

    /** A checked target: the URL and the address to connect to, one of those the check judged. */
    public record Target(URI uri, InetAddress address) {
    }

    private record Cidr(byte[] prefix, int bits) {
        static Cidr parse(String cidr) {
            int slash = cidr.indexOf('/');
            return new Cidr(literal(cidr.substring(0, slash)), Integer.parseInt(cidr.substring(slash + 1)));
        }

        boolean contains(byte[] raw) {
            if (raw.length != prefix.length) {
                return false;
            }
            int whole = bits / 8;
            int rest = bits % 8;
            if (!Arrays.equals(raw, 0, whole, prefix, 0, whole)) {
                return false;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return rest == 0 || (raw[whole] & mask) == (prefix[whole] & mask);
        }
    }

    /**
     * IANA's IPv4 and IPv6 special-purpose address registries (plus multicast and the deprecated site-local and
     * 6to4-relay ranges), whether or not IANA calls an entry globally reachable: none is a webhook receiver.
     * Prefixes that embed an IPv4 address (v4-mapped, v4-compatible, NAT64 64:ff9b::/96, 6to4) are not listed:
     * {@link #isInternal} decodes them and judges the IPv4 address instead.
     */
    private static final List<Cidr> SPECIAL_PURPOSE = List.of(
            "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
            "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24", "192.88.99.0/24",
            "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
            "224.0.0.0/4", "240.0.0.0/4",
            "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "2001:10::/28", "2001:20::/28",
            "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8")
            .stream().map(Cidr::parse).toList();
    private static final Cidr V4_COMPATIBLE = Cidr.parse("::/96");
    // Java turns a ::ffff:a.b.c.d literal into an Inet4Address, so this prefix is spelled out in bytes.
    private static final Cidr V4_MAPPED = new Cidr(
            new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0 }, 96);
    private static final Cidr NAT64 = Cidr.parse("64:ff9b::/96");
    private static final Cidr SIX_TO_FOUR = Cidr.parse("2002::/16");

    private final boolean allowPrivate;
    private final Duration resolveTimeout;
    private final HostResolver resolver;

    public WebhookTargets(WebhookConfig config, HostResolver resolver) {
        this.allowPrivate = config.webhookAllowPrivate();
        this.resolveTimeout = config.webhookResolveTimeout();
        this.resolver = resolver;
    }

    /** The URL, if it is http(s) with a host, no user info and a port in 1..65535: what {@link #check} resolves. */
    public URI parse(String url) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw refused("'url' is not a URL.");
        }
        if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null
                || uri.getUserInfo() != null) {
            throw refused("'url' must be an http or https URL with a host.");
        }
        // -1 is "no port"; URI itself refuses other negative ones.
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            throw refused("'url' names a port outside 1..65535.");
        }
        return uri;
    }

    /**
     * The URL and the address to connect to, if its host resolves within {@code WEBHOOK_RESOLVE_TIMEOUT} to public
     * addresses only; otherwise fails with the {@link SluiceException} to answer (400 naming {@code url}). Holds no
     * thread while DNS answers: it completes on the resolver's.
     */
    public CompletableFuture<Target> check(URI uri) {
        String host = uri.getHost();
        // A URI keeps an IPv6 literal's brackets.
        String name = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        return resolver.resolve(name).handle((addresses, failure) -> {
            Throwable cause = failure instanceof CompletionException wrapped ? wrapped.getCause() : failure;
            if (cause instanceof TimeoutException) {
                throw refused("'url' names a host that did not resolve within " + seconds(resolveTimeout) + ".");
            }
            if (cause != null || addresses.isEmpty()) {
                throw refused("'url' names a host that does not resolve.");
            }
            if (!allowPrivate) {
                for (InetAddress address : addresses) {
                    if (isInternal(address)) {
                        throw refused("'url' resolves to a private or special-purpose address; webhooks go to "
                                + "public hosts.");
                    }
                }
            }
            return new Target(uri, addresses.get(0));
        });
    }

    /** A duration as people read it in a message: "2 s", "0.5 s". */
    static String seconds(Duration duration) {
        return BigDecimal.valueOf(duration.toMillis()).movePointLeft(3).stripTrailingZeros().toPlainString() + " s";
    }

    static boolean isInternal(InetAddress address) {
        byte[] raw = address.getAddress();
        byte[] judged = V4_MAPPED.contains(raw) || V4_COMPATIBLE.contains(raw) || NAT64.contains(raw)
                ? Arrays.copyOfRange(raw, 12, 16)
                : SIX_TO_FOUR.contains(raw) ? Arrays.copyOfRange(raw, 2, 6) : raw;
        return SPECIAL_PURPOSE.stream().anyMatch(range -> range.contains(judged));
    }

    private static byte[] literal(String address) {
        try {
            return InetAddress.getByName(address).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an address literal: " + address, e);
        }
    }

    private static SluiceException refused(String message) {
        return SluiceException.validation("url", message);
    }
}
