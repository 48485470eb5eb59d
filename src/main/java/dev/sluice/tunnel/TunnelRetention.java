package dev.sluice.tunnel;

import java.time.Duration;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

import dev.sluice.PastRetention;

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

    /** Deletes at most {@code batch} of the account's tunnels that closed more than {@code keep} ago. */
    @Transactional
    public int purgeClosed(long accountId, Duration keep, int batch) {
        return PastRetention.purge(em, accountId, "tunnel", keep, batch);
    }

    /**
     * Deletes at most {@code batch} of the account's releases made more than {@code keep} ago, by the database's clock
     * as the cool-off they end is judged.
     */
    @Transactional
    public int purgeReleases(long accountId, Duration keep, int batch) {
        return PastRetention.purge(em, accountId, "subdomain_release", keep, batch);
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
     * such a claim decides nothing, as any account's next claim of the name would go as if there were none. Only a
     * name found idle is locked, with {@code SKIP LOCKED} (a claim in progress holds it, and the name is left for the
     * next round), and its holder checked again under the lock: every use of a name takes that lock first
     * ({@link SubdomainService#claim}), so none can begin between the check and the delete. A claim of that name
     * made meanwhile waits for this transaction, three short reads and a delete.
     */
    @Transactional
    public boolean purgeClaimIfIdle(String name) {
        // Looked at first without a lock, so that a name in use is never locked here: a claim of it would wait.
        if (!isIdle(name, holder(name, ""))) {
            return false;
        }
        Long holder = holder(name, " for update skip locked");
        if (!isIdle(name, holder)) {
            return false;
        }
        return em.createNativeQuery("delete from subdomain_claim where name = :name")
                .setParameter("name", name).executeUpdate() == 1;
    }

    /** Whether a claim's holder neither uses the name nor keeps it in its cool-off (false: no claim). */
    private boolean isIdle(String name, Long holder) {
        return holder != null && !subdomains.isInUseBy(holder, name) && !subdomains.isCoolingOff(holder, name);
    }

    private Long holder(String name, String lock) {
        List<?> holders = em.createNativeQuery("select holder_account_id from subdomain_claim where name = :name"
                + lock).setParameter("name", name).getResultList();
        return holders.isEmpty() ? null : ((Number) holders.get(0)).longValue();
    }
}
