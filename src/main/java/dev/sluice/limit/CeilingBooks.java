package dev.sluice.limit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;
import jakarta.transaction.Transactional;

import org.jboss.logging.Logger;

import dev.sluice.SqlValues;
import io.quarkus.runtime.StartupEvent;

/**
 * Proves at start-up that the ceiling's books agree: {@code global_allocation} equals the sum of every account's
 * limits. A replica that finds them apart refuses to run, since every ceiling decision would be made on a wrong
 * total. (A check here rather than a trigger, which Citus does not run on distributed tables.)
 */
@ApplicationScoped
public class CeilingBooks {

    private static final Logger LOG = Logger.getLogger(CeilingBooks.class);

    @Inject
    EntityManager em;

    void onStart(@Observes StartupEvent started) {
        verify();
    }

    /**
     * Safe against concurrent limit changes on other replicas: {@code FOR SHARE} on the one allocation row waits
     * for any transaction that has changed it and keeps new ones out until this one ends, and every limit change
     * updates that row in the transaction that writes the account; so the sum read next sees a matching state.
     */
    @Transactional
    public void verify() {
        Tuple allocated = (Tuple) em.createNativeQuery(
                "select day_allocated, month_allocated from global_allocation where id = 1 for share", Tuple.class)
                .getSingleResult();
        Tuple summed = (Tuple) em.createNativeQuery("select coalesce(sum(day_limit), 0) as day_limits,"
                + " coalesce(sum(month_limit), 0) as month_limits from account", Tuple.class).getSingleResult();
        long dayAllocated = SqlValues.number(allocated.get("day_allocated"));
        long monthAllocated = SqlValues.number(allocated.get("month_allocated"));
        Object dayLimits = summed.get("day_limits");
        Object monthLimits = summed.get("month_limits");
        if (dayAllocated != SqlValues.number(dayLimits) || monthAllocated != SqlValues.number(monthLimits)) {
            String message = String.format("The global ceiling's books disagree: global_allocation holds %d/%d "
                    + "(day/month credits) but the accounts' limits sum to %s/%s. Refusing to run; repair "
                    + "global_allocation from the accounts before starting again.", dayAllocated, monthAllocated,
                    dayLimits, monthLimits);
            LOG.error(message);
            throw new IllegalStateException(message);
        }
    }
}
