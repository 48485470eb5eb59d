package dev.sluice.billing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.sluice.billing.StripeReference.Claim;

/** The client_reference_id with and without STRIPE_LINK_SECRET (the test profile sets one, so both are here). */
class StripeReferenceTest {

    @Test
    void withoutTheSecretTheBareSlugIsTheReference() {
        StripeReference references = new StripeReference(Optional.empty());
        assertEquals("acme", references.of("acme"));
        assertEquals(Optional.of(new Claim("acme", true)), references.read("acme"));
        assertEquals(Optional.of(new Claim("acme", false)), references.read("acme.0123456789abcdef"));
        assertTrue(references.read(null).isEmpty());
    }

    @Test
    void withTheSecretOnlyItsSignatureVerifies() throws Exception {
        StripeReference references = new StripeReference(Optional.of("s3cret"));
        String reference = references.of("acme");
        assertEquals("acme." + com.stripe.net.Webhook.Util.computeHmacSha256("s3cret", "acme").substring(0, 16),
                reference);
        assertEquals(Optional.of(new Claim("acme", true)), references.read(reference));
        assertEquals(Optional.of(new Claim("acme", false)), references.read("acme"));
        assertEquals(Optional.of(new Claim("acme", false)), references.read("acme.0000000000000000"));
        assertEquals(Optional.of(new Claim("other", false)), references.read("other" + reference.substring(4)));
    }
}
