package dev.sluice.billing;

import java.time.Duration;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

/**
 * The purge of {@code stripe_event} (contract §13): events received before the retention, except those still to be
 * applied (received and not decided yet, or waiting for their customer's account), which are kept however old.
 */
@ApplicationScoped
public class StripeRetention {

    @Inject
    EntityManager em;

    /**
     * Deletes at most {@code batch} such events received more than {@code keep} ago (by the database's clock), oldest
     * first, in one short transaction. Two statements, the keys
     * first: a reference table on Citus, whose delete cannot carry a row-locking subquery. No one changes a decided
     * event again, so there is no lock to skip: a duplicate delivery only reads it.
     */
    @Transactional
    public int purge(Duration keep, int batch) {
        List<String> pending = List.of("received", StripeOutcome.of(StripeOutcome.Kind.UNKNOWN_CUSTOMER).wire());
        @SuppressWarnings("unchecked")
        List<String> doomed = em.createNativeQuery("""
                select event_id from stripe_event
                 where received_at < now() - make_interval(secs => :keep)
                   and outcome <> all (cast(:pending as text[]))
                 order by received_at limit :batch""")
                .setParameter("keep", (double) keep.toSeconds()).setParameter("pending", pending.toArray(String[]::new))
                .setParameter("batch", batch).getResultList();
        if (doomed.isEmpty()) {
            return 0;
        }
        return em.createNativeQuery("delete from stripe_event where event_id = any (cast(:ids as text[]))")
                .setParameter("ids", doomed.toArray(String[]::new)).executeUpdate();
    }
}
