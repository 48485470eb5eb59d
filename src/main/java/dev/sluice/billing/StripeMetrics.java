package dev.sluice.billing;

import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sluice.AfterCommit;
import dev.sluice.TaggedCounter;
import dev.sluice.WireValues;
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
        List<String> outcomes = new ArrayList<>(TaggedCounter.values(StripeOutcome.Kind.class));
        outcomes.add(REJECTED);
        events = new TaggedCounter(registry, "sluice.stripe.events", "Stripe webhook deliveries by outcome",
                "outcome", outcomes);
    }

    /** Counted once the event's transaction commits: one rolled back is Stripe's to send again. */
    void received(StripeOutcome.Kind kind) {
        afterCommit.run(() -> events.increment(WireValues.wire(kind)));
    }

    void rejected() {
        events.increment(REJECTED);
    }
}
