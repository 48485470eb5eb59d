package dev.sluice.notify;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;
import jakarta.transaction.Transactional;

import org.jboss.logging.Logger;

import dev.sluice.SqlValues;
import dev.sluice.TaggedCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;

/**
 * The outbox's metrics: deliveries by outcome, and how deep and how old the pending backlog is. The backlog is read
 * from the database every 15 seconds, not at each scrape, so a scrape never waits
 * for a query; every replica reports the same backlog (dashboards take the max).
 */
@Startup
@ApplicationScoped
public class WebhookMetrics {

    private static final Logger LOG = Logger.getLogger(WebhookMetrics.class);
    /** Where an attempt left its delivery: delivered, to be retried, or failed (given up after 24 hours). */
    static final List<String> OUTCOMES = List.of("delivered", "retried", "failed");

    private final TaggedCounter deliveries;
    private final AtomicLong depth = new AtomicLong();
    private final AtomicLong oldestAgeSeconds = new AtomicLong();

    @Inject
    EntityManager em;

    @Inject
    WebhookMetrics(MeterRegistry registry) {
        deliveries = new TaggedCounter(registry, "sluice.webhook.deliveries",
                "Delivery attempts by where they left the delivery", "outcome", OUTCOMES);
        Gauge.builder("sluice.webhook.outbox.depth", depth, AtomicLong::get)
                .description("Deliveries pending (due now or retrying later)").register(registry);
        Gauge.builder("sluice.webhook.oldest.pending.age", oldestAgeSeconds, AtomicLong::get)
                .description("Seconds since the event of the oldest pending delivery was written").baseUnit("seconds")
                .register(registry);
    }

    /**
     * An attempt's record, by the delivery's status after it; one whose delivery was gone or claimed again changed
     * nothing and is not counted.
     */
    void attempted(String status) {
        switch (status) {
            case "delivered", "failed" -> deliveries.increment(status);
            case "pending" -> deliveries.increment("retried");
            default -> {
            }
        }
    }

    @Scheduled(identity = "webhook-outbox-metrics", every = "15s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            refresh();
        } catch (RuntimeException e) {
            LOG.warnf("reading the webhook backlog failed, retrying next round: %s", e.getMessage());
        }
    }

    /** Reads the backlog now (one aggregate over the pending deliveries, which an index keeps to themselves). */
    @Transactional
    public void refresh() {
        Tuple backlog = (Tuple) em.createNativeQuery("""
                select count(*) as depth,
                       coalesce(floor(extract(epoch from now() - min(e.created_at))), 0) as oldest_age_seconds
                  from webhook_delivery d
                  join webhook_event e on e.account_id = d.account_id and e.event_id = d.event_id
                 where d.status = 'pending'""", Tuple.class).getSingleResult();
        depth.set(SqlValues.number(backlog.get("depth")));
        oldestAgeSeconds.set(SqlValues.number(backlog.get("oldest_age_seconds")));
    }
}
