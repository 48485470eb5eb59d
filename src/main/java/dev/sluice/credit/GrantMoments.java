package dev.sluice.credit;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;

import org.jboss.logging.Logger;

import dev.sluice.SqlValues;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;

/**
 * The scheduled run that writes grant moments no settlement has passed yet: a grant taking effect, or expiring, on an
 * account that is not spending. Each account in a transaction of its own, skipped while someone holds its credit lock
 * (that one writes the moments itself, or the next round does).
 */
@ApplicationScoped
public class GrantMoments {

    private static final Logger LOG = Logger.getLogger(GrantMoments.class);
    static final int BATCH = 500;

    @Inject
    EntityManager em;

    @Scheduled(identity = "grant-moments", every = "${reconcile-every}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            run();
        } catch (RuntimeException e) {
            LOG.warnf("grant moments round failed, retrying next round: %s", e.getMessage());
        }
    }

    /** One round; answers how many accounts had moments written. */
    public int run() {
        List<?> due = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(
                "select account_id from account_usage where grants_due_at <= now() limit :batch")
                .setParameter("batch", BATCH).getResultList());
        int written = 0;
        for (Object account : due) {
            long accountId = SqlValues.number(account);
            written += QuarkusTransaction.requiringNew().call(() -> {
                if (em.createNativeQuery("select account_id from account_usage where account_id = :account "
                        + "for update skip locked").setParameter("account", accountId).getResultList().isEmpty()) {
                    return 0;
                }
                em.createNativeQuery("select 1 from apply_due_grants(:account)").setParameter("account", accountId)
                        .getSingleResult();
                return 1;
            });
        }
        return written;
    }
}
