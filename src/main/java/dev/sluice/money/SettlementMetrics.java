package dev.sluice.money;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sluice.TaggedCounter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;

/**
 * The money core's metrics (docs/operations.md): leases by outcome, credits by what became of them, and each
 * settlement batch's size and time at the database. All registered at start-up, every outcome at 0.
 */
@Startup
@ApplicationScoped
public class SettlementMetrics {

    /** A lease that got no answer from a settlement: withdrawn at {@code LEASE_WAIT}, or its batch failed (503). */
    static final String UNAVAILABLE = "unavailable";

    /**
     * What became of credits in the relays' settlements (leases, closes, late reports): leased to a tunnel, billed
     * for reported use, given back, or consumed beyond the billing bound and not billed. What the server's own closes give back
     * (suspension, revocation, plan changes, reapers) is not counted here.
     */
    enum CreditFlow {
        GRANTED, CONSUMED, RETURNED, UNBILLED
    }

    private final TaggedCounter leases;
    private final TaggedCounter credits;
    private final DistributionSummary batchSize;
    private final Timer batchTime;

    @Inject
    SettlementMetrics(MeterRegistry registry) {
        leases = new TaggedCounter(registry, "sluice.leases", "Lease and report calls by outcome", "outcome",
                SettleOutcome.class, UNAVAILABLE);
        credits = new TaggedCounter(registry, "sluice.credits", "Credits granted, consumed, returned and unbilled",
                "kind", CreditFlow.class);
        batchSize = DistributionSummary.builder("sluice.settlement.batch.size")
                .description("Calls settled by one settle_tunnels statement").publishPercentileHistogram()
                .minimumExpectedValue(1.0).maximumExpectedValue((double) AccountTurns.MAX_BATCH).register(registry);
        batchTime = Timer.builder("sluice.settlement.duration")
                .description("Time of one settle_tunnels statement at the database").publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
    }

    void batch(int calls, long nanos) {
        batchSize.record(calls);
        batchTime.record(Duration.ofNanos(nanos));
    }

    /** One call's answer (null with a failure). Closes are not leases; their credits count all the same. */
    void settled(SettleCall call, Settlement result) {
        if (result == null) {
            if (!call.close()) {
                leases.increment(UNAVAILABLE);
            }
            return;
        }
        if (!call.close()) {
            leases.increment(result.outcome());
        }
        if (result.replayed()) {
            return;
        }
        credits.add(CreditFlow.GRANTED, result.granted());
        credits.add(CreditFlow.RETURNED, result.returned());
        credits.add(CreditFlow.UNBILLED, result.unbilled());
        credits.add(CreditFlow.CONSUMED, result.charged());
    }
}
