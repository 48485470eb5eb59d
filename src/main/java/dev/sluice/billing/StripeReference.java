package dev.sluice.billing;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

/**
 * The {@code client_reference_id} that names an account in a Checkout Session. Stripe does not authenticate it,
 * so with {@code STRIPE_LINK_SECRET} set it is {@code <slug>.<first 16 hex digits of HMAC-SHA256(secret, slug)>}
 * and only Sluice can hand one out; without the secret it is the bare slug, and anyone's Payment Link can claim an
 * unlinked account (start-up warns).
 */
@ApplicationScoped
public class StripeReference {

    private static final Logger LOG = Logger.getLogger(StripeReference.class);
    static final int SIGNATURE_HEX_DIGITS = 16;

    /** What a {@code client_reference_id} says: the slug it names, and whether that claim is to be trusted. */
    public record Claim(String slug, boolean verified) {
    }

    private final Optional<SecretKeySpec> key;

    @Inject
    public StripeReference(StripeConfig config) {
        this(config.stripeLinkSecret());
    }

    StripeReference(Optional<String> secret) {
        this.key = secret.filter(s -> !s.isBlank())
                .map(s -> new SecretKeySpec(s.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    }

    void warnAtStartup(@Observes StartupEvent event) {
        if (key.isEmpty()) {
            LOG.warn("STRIPE_LINK_SECRET is not set: a checkout whose client_reference_id is a bare slug links that "
                    + "account, so anyone's Payment Link can claim an account that is not linked yet.");
        }
    }

    /** The reference to put in an account's Payment Links. */
    public String of(String slug) {
        return key.map(k -> slug + "." + signature(k, slug)).orElse(slug);
    }

    /** Reads a {@code client_reference_id}; empty if it names no slug at all. */
    public Optional<Claim> read(String reference) {
        if (reference == null || reference.isEmpty()) {
            return Optional.empty();
        }
        int dot = reference.indexOf('.');
        String slug = dot < 0 ? reference : reference.substring(0, dot);
        if (key.isEmpty()) {
            return Optional.of(new Claim(slug, dot < 0));
        }
        byte[] expected = signature(key.get(), slug).getBytes(StandardCharsets.UTF_8);
        byte[] given = (dot < 0 ? "" : reference.substring(dot + 1)).getBytes(StandardCharsets.UTF_8);
        return Optional.of(new Claim(slug, MessageDigest.isEqual(expected, given)));
    }

    private static String signature(SecretKeySpec key, String slug) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return HexFormat.of().formatHex(mac.doFinal(slug.getBytes(StandardCharsets.UTF_8)))
                    .substring(0, SIGNATURE_HEX_DIGITS);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JRE", e);
        }
    }
}
