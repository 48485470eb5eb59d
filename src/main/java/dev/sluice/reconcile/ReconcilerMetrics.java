package dev.sluice.reconcile;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sluice.AfterCommit;
import dev.sluice.TaggedCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;

/**
 * The reconciler's metrics: its scheduled rounds by outcome (a round fails when it, or any account's turn in it,
 * failed) and what it did to make accounts fit their plans, its scheduled rounds and plan changes alike.
 */
@Startup
@ApplicationScoped
public class ReconcilerMetrics {

    static final String OK = "ok";
    static final String FAILED = "failed";
    static final String TUNNEL_CLOSED = "tunnel_closed";
    static final String SUBDOMAIN_RELEASED = "subdomain_released";
    static final String WORKER_QUARANTINED = "worker_quarantined";

    private final TaggedCounter runs;
    private final TaggedCounter actions;
    private final AfterCommit afterCommit;

    @Inject
    ReconcilerMetrics(MeterRegistry registry, AfterCommit afterCommit) {
        this.afterCommit = afterCommit;
        runs = new TaggedCounter(registry, "sluice.reconciler.runs", "Scheduled reconciler rounds by outcome",
                "outcome", List.of(OK, FAILED));
        actions = new TaggedCounter(registry, "sluice.reconciler.actions",
                "Tunnels closed, subdomains released and workers quarantined to fit plans", "action",
                List.of(TUNNEL_CLOSED, SUBDOMAIN_RELEASED, WORKER_QUARANTINED));
    }

    void ran(boolean failed) {
        runs.increment(failed ? FAILED : OK);
    }

    /** Counted once the caller's transaction commits (a plan change's), or at once (a committed round's turns). */
    void acted(long closedTunnels, long releasedSubdomains, long quarantinedWorkers) {
        afterCommit.run(() -> {
            actions.add(TUNNEL_CLOSED, closedTunnels);
            actions.add(SUBDOMAIN_RELEASED, releasedSubdomains);
            actions.add(WORKER_QUARANTINED, quarantinedWorkers);
        });
    }
}
