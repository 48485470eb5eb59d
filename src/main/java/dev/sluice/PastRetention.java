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
     * Deletes at most {@code batch} of the account's rows of {@code table} (keyed by account_id and {@code key}) whose
     * {@code moment} column is more than {@code keep} ago by the database's clock, oldest first, skipping rows
     * someone holds; answers how many.
     */
    public static int purge(EntityManager em, long accountId, String table, String key, String moment, Duration keep,
            int batch) {
        return ((Number) em.createNativeQuery("select purge_account_rows(:account, :table, :key, :moment, "
                + "now() - make_interval(secs => :keep), :batch)").setParameter("account", accountId)
                .setParameter("table", table).setParameter("key", key).setParameter("moment", moment)
                .setParameter("keep", (double) keep.toSeconds()).setParameter("batch", batch).getSingleResult())
                .intValue();
    }
}
