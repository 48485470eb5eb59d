package dev.sluice.tunnel;

import java.time.Instant;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

/**
 * The purges of this package's tables (contract §13): closed tunnels, releases whose cool-off is over, and name
 * claims nobody uses any more. Each call is one short transaction that deletes at most one batch.
 */
@ApplicationScoped
public class TunnelRetention {

    @Inject
    EntityManager em;
    @Inject
    SubdomainService subdomains;

    /** Deletes at most {@code batch} of the account's tunnels that closed before {@code closedBefore}. */
    @Transactional
    public int purgeClosed(long accountId, Instant closedBefore, int batch) {
        return purge("select purge_closed_tunnels(:account, :before, :batch)", accountId, closedBefore, batch);
    }

    /** Deletes at most {@code batch} of the account's releases made before {@code releasedBefore}. */
    @Transactional
    public int purgeReleases(long accountId, Instant releasedBefore, int batch) {
        return purge("select purge_subdomain_releases(:account, :before, :batch)", accountId, releasedBefore, batch);
    }

    private int purge(String sql, long accountId, Instant before, int batch) {
        return ((Number) em.createNativeQuery(sql).setParameter("account", accountId).setParameter("before", before)
                .setParameter("batch", batch).getSingleResult()).intValue();
    }

    /** Up to {@code page} claimed names after {@code after} (null: from the first), in name order. */
    @SuppressWarnings("unchecked")
    @Transactional
    public List<String> claimedNames(String after, int page) {
        return em.createNativeQuery("""
                select name from subdomain_claim where name > coalesce(cast(:after as text), '')
                 order by name limit :page""")
                .setParameter("after", after).setParameter("page", page).getResultList();
    }

    /**
     * Deletes the claim of a name its holder neither uses (reserved, or open as a tunnel) nor keeps in its cool-off:
     * such a claim decides nothing, as any account's next claim of the name would go as if there were none. The claim
     * row is locked with {@code SKIP LOCKED} (a claim in progress holds it, and the name is left for the next round)
     * and the holder checked after the lock is taken: every use of a name takes that lock first
     * ({@link SubdomainService#claim}), so none can begin between the check and the delete.
     */
    @Transactional
    public boolean purgeClaimIfIdle(String name) {
        List<?> holders = em.createNativeQuery(
                "select holder_account_id from subdomain_claim where name = :name for update skip locked")
                .setParameter("name", name).getResultList();
        if (holders.isEmpty()) {
            return false;
        }
        long holder = ((Number) holders.get(0)).longValue();
        if (subdomains.isInUseBy(holder, name) || subdomains.isCoolingOff(holder, name)) {
            return false;
        }
        return em.createNativeQuery("delete from subdomain_claim where name = :name")
                .setParameter("name", name).executeUpdate() == 1;
    }
}
