package dev.sluice;

import java.time.Duration;

import jakarta.persistence.EntityManager;

/**
 * The purge its owner makes of one of its account-scoped tables (contract §13): {@code purge_account_rows}, in
 * db/functions/R__retention.sql, in the caller's transaction.
 */
public final class PastRetention {

    private PastRetention() {
    }

    /**
     * Deletes at most {@code batch} of the account's rows of {@code table} dated more than {@code keep} ago by the
     * database's clock, oldest first, skipping rows someone holds; answers how many. The function knows each table's
     * dating column and refuses any table it does not purge.
     */
    public static int purge(EntityManager em, long accountId, String table, Duration keep, int batch) {
        return ((Number) em.createNativeQuery("select purge_account_rows(:account, :table, "
                + "now() - make_interval(secs => :keep), :batch)").setParameter("account", accountId)
                .setParameter("table", table).setParameter("keep", (double) keep.toSeconds())
                .setParameter("batch", batch).getSingleResult()).intValue();
    }
}
