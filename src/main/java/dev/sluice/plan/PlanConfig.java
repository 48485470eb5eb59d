package dev.sluice.plan;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Where plan refusals send the customer. The Stripe prices of each plan ({@code stripe-price-<plan>}) are looked up
 * by plan id in {@link PlanCatalogue#stripePriceIds}: a mapping cannot name keys that are not known in advance.
 */
@ConfigMapping(prefix = "")
public interface PlanConfig {

    /** The {@code upgradeUrl} of refusals that a bigger plan would lift. */
    @WithDefault("https://sluice.dev/pricing")
    String upgradeUrl();
}
