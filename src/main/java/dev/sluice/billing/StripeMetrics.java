package dev.sluice.billing;


import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sluice.AfterCommit;
import dev.sluice.TaggedCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;

/**
 * Stripe's events by outcome ({@code sluice_stripe_events_total}): what each did, as the inbox records it (a plan
 * change as {@code plan}, whichever plan), or {@code rejected} for a delivery refused before it was stored (a bad
 * signature, not an event).
 */
@Startup
@ApplicationScoped
public class StripeMetrics {

    static final String REJECTED = "rejected";

    private final TaggedCounter events;
    private final AfterCommit afterCommit;

    @Inject
    StripeMetrics(MeterRegistry registry, AfterCommit afterCommit) {
        this.afterCommit = afterCommit;
        events = new TaggedCounter(registry, "sluice.stripe.events", "Stripe webhook deliveries by outcome",
                "outcome", StripeOutcome.Kind.class, REJECTED);
    }

    /** Counted once the event's transaction commits: one rolled back is Stripe's to send again. */
    void received(StripeOutcome.Kind kind) {
        afterCommit.run(() -> events.increment(kind));
    }

    void rejected() {
        events.increment(REJECTED);
    }
}
