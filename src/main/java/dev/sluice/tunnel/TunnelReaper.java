package dev.sluice.tunnel;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;

import org.jboss.logging.Logger;

import dev.sluice.SqlValues;
import dev.sluice.account.Account;
import dev.sluice.audit.AuditLog;
import dev.sluice.money.CloseReason;
import dev.sluice.money.SettlementConfig;
import dev.sluice.money.Settlements;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;

/**
 * Closes tunnels whose relay stopped calling ({@code stale} after {@code TUNNEL_STALE_AFTER}; the held lease is
 * charged, failing closed) and tunnels without traffic past their plan's inactivity timeout ({@code inactive};
 * Free: 2 h). Each account is handled in its own transaction that first takes the account's credit lock with
 * {@code FOR UPDATE SKIP LOCKED}: another replica reaping the same account, or a lease in flight, makes this one
 * skip it until the next round, and close_tunnels re-checks idleness under the lock, so nothing is closed or
 * charged twice.
 */
@ApplicationScoped
public class TunnelReaper {

    private static final Logger LOG = Logger.getLogger(TunnelReaper.class);
    static final int BATCH = 1000;

    @Inject
    EntityManager em;
    @Inject
    AuditLog audit;
    @Inject
    SettlementConfig config;
    @Inject
    Settlements settlements;

    @Scheduled(identity = "tunnel-reaper", every = "${reconcile-every}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            reap();
        } catch (RuntimeException e) {
            LOG.warnf("tunnel reaper round failed, retrying next round: %s", e.getMessage());
        }
    }

    /** One round; returns how many tunnels it closed. Idleness is judged by the database's clock alone. */
    public int reap() {
        long staleSeconds = config.tunnelStaleAfter().toSeconds();
        int closed = 0;
        for (Object account : QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery("""
                select distinct account_id from tunnel
                 where closed_at is null and last_seen_at < now() - make_interval(secs => :stale) limit :batch""")
                .setParameter("stale", staleSeconds).setParameter("batch", BATCH).getResultList())) {
            closed += closeIdle(SqlValues.number(account), CloseReason.STALE, true, staleSeconds);
        }
        @SuppressWarnings("unchecked")
        List<Tuple> inactive = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery("""
                select distinct t.account_id, p.inactivity_timeout_seconds
                  from tunnel t
                  join account a on a.account_id = t.account_id
                  join plan p on p.plan_id = a.plan
                 where t.closed_at is null and p.inactivity_timeout_seconds is not null
                   and t.last_activity_at < now() - make_interval(secs => p.inactivity_timeout_seconds)
                 limit :batch""", Tuple.class).setParameter("batch", BATCH).getResultList());
        for (Tuple row : inactive) {
            closed += closeIdle(SqlValues.number(row.get("account_id")), CloseReason.INACTIVE, false,
                    SqlValues.number(row.get("inactivity_timeout_seconds")));
        }
        if (closed > 0) {
            LOG.infof("reaper closed %d idle tunnels", closed);
        }
        return closed;
    }

    private int closeIdle(long accountId, CloseReason reason, boolean chargeHeld, long idleSeconds) {
        return QuarkusTransaction.requiringNew().call(() -> {
            int closed = settlements.reapIfFree(accountId, reason, chargeHeld, idleSeconds);
            if (closed > 0) {
                audit.append(AuditLog.RECONCILER, "tunnel.reap", Account.<Account>findById(accountId).slug(),
                        "reason:" + reason.wire(), AuditLog.OK,
                        "closedTunnels=" + closed + (chargeHeld ? " heldCharged=true" : ""));
            }
            return closed;
        });
    }
}
