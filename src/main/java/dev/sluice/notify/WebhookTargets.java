package dev.sluice.notify;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import dev.sluice.web.SluiceException;

/**
 * Refuses webhook targets on private, loopback, link-local or otherwise internal addresses (unless
 * {@code WEBHOOK_ALLOW_PRIVATE=true}), judged on every address the host resolves to, not on its spelling, and
 * again before every delivery so a DNS change cannot point an accepted URL inwards later.
 */
@ApplicationScoped
public class WebhookTargets {

    private final boolean allowPrivate;

    public WebhookTargets(@ConfigProperty(name = "webhook-allow-private", defaultValue = "false") boolean allowPrivate) {
        this.allowPrivate = allowPrivate;
    }

    /** The URL, parsed, if it is http(s) with a host that resolves to public addresses only. */
    public URI check(String url) {
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
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(uri.getHost());
        } catch (UnknownHostException e) {
            throw refused("'url' names a host that does not resolve.");
        }
        if (!allowPrivate) {
            for (InetAddress address : addresses) {
                if (isInternal(address)) {
                    throw refused("'url' resolves to a private or loopback address; webhooks go to public hosts.");
                }
            }
        }
        return uri;
    }

    static boolean isInternal(InetAddress address) {
        byte[] raw = address.getAddress();
        boolean uniqueLocalV6 = raw.length == 16 && (raw[0] & 0xfe) == 0xfc;
        boolean carrierGradeNat = raw.length == 4 && (raw[0] & 0xff) == 100 && (raw[1] & 0xc0) == 64;
        return address.isLoopbackAddress() || address.isSiteLocalAddress() || address.isLinkLocalAddress()
                || address.isAnyLocalAddress() || address.isMulticastAddress() || uniqueLocalV6 || carrierGradeNat;
    }

    private static SluiceException refused(String message) {
        return SluiceException.validation("url", message);
    }
}
