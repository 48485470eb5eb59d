package dev.sluice.billing;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Stripe: the secrets of its webhook and Payment Links, the prices that buy prepaid credit, and how long a failed
 * payment is tolerated.
 */
@ConfigMapping(prefix = "")
public interface StripeConfig {

    /** Endpoint secret(s), comma-separated for rotation; without one every event is refused. */
    Optional<String> stripeWebhookSecret();

    /** Signs the {@code client_reference_id} of Payment Links ({@link StripeReference}). */
    Optional<String> stripeLinkSecret();

    /** Prepaid credit prices, {@code price_id:credits[:days]} comma-separated ({@link StripeTopUps}). */
    Optional<String> stripeCreditPrices();

    /** How long a failed payment is tolerated before the account drops to free. */
    @WithDefault("PT72H")
    Duration gracePeriod();
}
