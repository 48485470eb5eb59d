package dev.sluice.billing;


import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;

import dev.sluice.plan.PlanCatalogue;
import dev.sluice.plan.PlanLimits;

/**
 * Which plan a Stripe price stands for: its {@code lookup_key} is the plan id, its {@code metadata.plan} names the
 * plan, or its id is listed in {@code STRIPE_PRICE_<PLAN>} (comma-separated).
 */
@ApplicationScoped
public class StripePrices {

    @Inject
    PlanCatalogue plans;

    public Optional<PlanLimits> planOf(JsonNode price) {
        String lookupKey = price.path("lookup_key").asText(null);
        String named = price.path("metadata").path("plan").asText(null);
        String id = price.path("id").asText(null);
        return plans.all().stream()
                .filter(p -> p.id().equals(lookupKey) || p.id().equals(named) || plans.stripePriceIds(p.id()).contains(id))
                .findFirst();
    }

    /** The highest plan among a subscription's items, if any item maps to one. */
    public Optional<PlanLimits> planOfSubscription(JsonNode subscription) {
        Optional<PlanLimits> best = Optional.empty();
        for (JsonNode item : subscription.path("items").path("data")) {
            Optional<PlanLimits> plan = planOf(item.path("price"));
            if (plan.isPresent() && (best.isEmpty() || plan.get().rank() > best.get().rank())) {
                best = plan;
            }
        }
        return best;
    }
}
