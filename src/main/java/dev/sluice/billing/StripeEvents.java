package dev.sluice.billing;

import java.util.Arrays;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.stripe.exception.SignatureVerificationException;
import com.stripe.net.Webhook;

import dev.sluice.web.SluiceException;

/**
 * Stripe's webhook: the signature is checked on the raw body with stripe-java against every secret in
 * {@code STRIPE_WEBHOOK_SECRET} (rotation), each event is stored once by id in the {@link StripeInbox} and applied
 * in the same transaction (a handful of row updates) by {@link StripeLinks}, which decides whose it is.
 */
@ApplicationScoped
public class StripeEvents {

    static final long TOLERANCE_SECONDS = 300;

    @Inject
    ObjectMapper json;
    @Inject
    StripeInbox inbox;
    @Inject
    StripeLinks links;
    @Inject
    StripeConfig config;
    @Inject
    StripeMetrics metrics;

    /** Verifies, stores and applies one delivery; returns the outcome recorded for it. */
    @Transactional
    public String receive(String payload, String signatureHeader) {
        StripeOutcome outcome;
        try {
            outcome = apply(payload, signatureHeader);
        } catch (SluiceException refused) {
            metrics.rejected();
            throw refused;
        }
        metrics.received(outcome.kind());
        return outcome.wire();
    }

    private StripeOutcome apply(String payload, String signatureHeader) {
        verify(payload, signatureHeader);
        JsonNode parsed;
        try {
            parsed = json.readTree(payload);
        } catch (JsonProcessingException e) {
            throw SluiceException.validation(null, "The event is not JSON.");
        }
        StripeEvent event = StripeEvent.of(parsed);
        if (event.id().isEmpty() || event.type().isEmpty() || !parsed.path("created").canConvertToLong()) {
            throw SluiceException.validation(null, "The event has no id, type or created time.");
        }
        if (payload.contains("\\u0000")) {
            throw SluiceException.validation(null, "The event contains a NUL character.");
        }
        if (!inbox.store(event, payload)) {
            return StripeOutcome.of(StripeOutcome.Kind.DUPLICATE);
        }
        StripeOutcome outcome;
        if (event.isCheckout()) {
            outcome = links.checkout(event);
        } else if (event.kind() == null) {
            outcome = StripeOutcome.of(StripeOutcome.Kind.IGNORED_TYPE);
        } else {
            outcome = links.deliver(event);
        }
        inbox.record(event.id(), outcome);
        return outcome;
    }

    public List<StripeWebhookResource.StoredEvent> recent() {
        return inbox.recent();
    }

    private void verify(String payload, String header) {
        List<String> keys = config.stripeWebhookSecret().map(s -> Arrays.stream(s.split(",")).map(String::trim)
                .filter(k -> !k.isEmpty()).toList()).orElse(List.of());
        if (header == null || keys.isEmpty()) {
            throw badSignature();
        }
        for (String key : keys) {
            try {
                Webhook.Signature.verifyHeader(payload, header, key, TOLERANCE_SECONDS);
                return;
            } catch (SignatureVerificationException | RuntimeException e) {
                // Try the next secret: during a rotation either may have signed. stripe-java reports a malformed
                // header (a timestamp that is not a number) as a plain runtime exception, which is bad input too.
            }
        }
        throw badSignature();
    }

    private static SluiceException badSignature() {
        return SluiceException.validation("Stripe-Signature", "The Stripe-Signature header does not verify.");
    }
}
