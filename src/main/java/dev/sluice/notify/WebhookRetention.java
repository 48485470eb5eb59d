package dev.sluice.notify;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;
import jakarta.transaction.Transactional;

import dev.sluice.SqlValues;

/** The purge of this package's tables (contract §13): events none of whose deliveries is pending, with them. */
@ApplicationScoped
public class WebhookRetention {

    /** Rows one purge deleted of each table. */
    public record Purged(long events, long deliveries, long attempts) {
    }

    @Inject
    EntityManager em;

    /**
     * Deletes at most {@code batch} of the account's events written more than {@code keep} ago (by the database's
     * clock) that no delivery waits on (each delivered or given up), with their deliveries and attempts, in one
     * short transaction.
     */
    @Transactional
    public Purged purgeDone(long accountId, Duration keep, int batch) {
        Tuple purged = (Tuple) em.createNativeQuery("select events, deliveries, attempts from purge_webhook_events("
                + ":account, now() - make_interval(secs => :keep), :batch)", Tuple.class)
                .setParameter("account", accountId).setParameter("keep", (double) keep.toSeconds())
                .setParameter("batch", batch).getSingleResult();
        return new Purged(SqlValues.number(purged.get("events")), SqlValues.number(purged.get("deliveries")),
                SqlValues.number(purged.get("attempts")));
    }
}
