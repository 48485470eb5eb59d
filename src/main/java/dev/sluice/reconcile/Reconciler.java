package dev.sluice.reconcile;

import static dev.sluice.SqlValues.number;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;
import jakarta.transaction.Transactional;

import org.jboss.logging.Logger;

import dev.sluice.account.Account;
import dev.sluice.plan.Plan;
import dev.sluice.plan.PlanCatalogue;
import dev.sluice.plan.PlanLimits;
import dev.sluice.tunnel.Tunnel;
import dev.sluice.tunnel.TunnelService;
import dev.sluice.tunnel.TunnelViews;
import dev.sluice.web.RequestIds;
import dev.sluice.worker.Worker;
import dev.sluice.worker.WorkerService;
import io.agroal.api.AgroalDataSource;

/**
 * Makes an account fit its plan, level-triggered and idempotent: it closes the oldest open tunnels beyond the
 * plan's cap (or the account's lower {@code concurrentMax}) (reason {@code plan_downgrade}; the relay sees 410 on its next lease), releases the newest reserved
 * subdomains beyond the cap, quarantines the oldest active workers beyond the cap, restores quarantined workers
 * (oldest first) while there is room, and purges workers quarantined for 30 days. Every step is one set-based
 * statement whatever the number of tunnels, and the selections below are shared with the plan preview, so the
 * preview shows exactly what a change would do.
 */
@ApplicationScoped
public class Reconciler {

    private static final Logger LOG = Logger.getLogger(Reconciler.class);

    /** What one reconciliation did. */
    public record Result(int closedTunnels, List<String> releasedSubdomains, int quarantinedWorkers,
            int restoredWorkers, int purgedWorkers) {
    }

    /** The ids a move to a plan would act on, in the order they would be acted on. */
    public record Selection(List<UUID> tunnels, List<String> subdomains, List<UUID> workers) {
    }

    @Inject
    EntityManager em;
    @Inject
    ReconcilerMetrics metrics;
    @Inject
    PlanCatalogue plans;
    @Inject
    TunnelService tunnels;
    @Inject
    AgroalDataSource db;

    /** What a plan change would do, each list in the order it would be acted on. */
    public record Preview(String plan, List<TunnelViews.TunnelView> tunnels, List<Map<String, String>> subdomains,
            List<WorkerService.WorkerView> workers) {
    }

    /** The preview of moving the account to {@code plan}: the reconciler's selections, each loaded in one query. */
    public Preview preview(Account account, Plan plan) {
        Selection selection = select(account, plans.get(plan.id()));
        Map<UUID, Tunnel> tunnelRows = selection.tunnels().isEmpty() ? Map.of()
                : Tunnel.<Tunnel>list("accountId = ?1 and tunnelId in ?2", account.accountId(), selection.tunnels())
                        .stream().collect(Collectors.toMap(t -> t.tunnelId, t -> t));
        Map<UUID, Worker> workerRows = selection.workers().isEmpty() ? Map.of()
                : Worker.<Worker>list("accountId = ?1 and workerId in ?2", account.accountId(), selection.workers())
                        .stream().collect(Collectors.toMap(w -> w.workerId, w -> w));
        return new Preview(plan.id(),
                selection.tunnels().stream().map(id -> tunnels.view(tunnelRows.get(id))).toList(),
                selection.subdomains().stream().map(name -> Map.of("name", name)).toList(),
                selection.workers().stream().map(id -> WorkerService.WorkerView.of(workerRows.get(id))).toList());
    }

    /** What moving the account to {@code plan} would act on; its tunnels may number min(plan cap, concurrentMax). */
    public Selection select(Account account, PlanLimits plan) {
        long accountId = account.accountId();
        return new Selection(tunnels.excess(accountId, tunnelCap(account, plan)),
                list("select name from excess_subdomains(:account, :cap)", accountId, plan.reservedSubdomains(),
                        String.class),
                list("select worker_id from excess_workers(:account, :cap)", accountId, plan.workers(), UUID.class));
    }

    /**
     * Reconciles one account in one statement ({@code reconcile_audited} in db/functions/R__reconciler.sql:
     * {@code reconcile_account}, which acts on the same selections as {@link #select}, and its audit entry). The
     * caller holds the account's row lock; the function takes its credit lock (account_usage) first, in the same
     * order as every other writer, so tunnel registration and worker or subdomain creation cannot slip past the cap
     * while it runs, and two replicas never act on one account at once.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public Result reconcile(Account account) {
        PlanLimits plan = plans.get(account.plan());
        Tuple done = (Tuple) em.createNativeQuery(
                "select closed, released, quarantined, restored, purged from reconcile_audited(:account, :slug, "
                        + ":plan, :tunnels, :subdomains, :workers, :requestId)", Tuple.class)
                .setParameter("account", account.accountId())
                .setParameter("slug", account.slug())
                .setParameter("plan", account.plan())
                .setParameter("tunnels", tunnelCap(account, plan))
                .setParameter("subdomains", plan.reservedSubdomains())
                .setParameter("workers", plan.workers())
                .setParameter("requestId", RequestIds.current())
                .getSingleResult();
        Result result = new Result(count(done, "closed"), List.of(done.get("released", String[].class)),
                count(done, "quarantined"), count(done, "restored"), count(done, "purged"));
        metrics.acted(result.closedTunnels(), result.releasedSubdomains().size(), result.quarantinedWorkers());
        return result;
    }

    private static int count(Tuple row, String column) {
        return (int) number(row.get(column));
    }

    /** What the scheduled reconciler's turn on one account came to. */
    public enum Turn {
        /** Another transaction holds the account; the next round tries again. */
        BUSY,
        /** The payment grace has run out: nothing was done; the caller moves the account to free. */
        GRACE_EXPIRED,
        RECONCILED,
        /** The account's transaction failed and was rolled back (the log says why); the next round tries again. */
        FAILED
    }

    /**
     * The scheduled reconciler's turns on several accounts, in their order, in one call
     * ({@code reconcile_accounts}, db/functions/R__reconciler.sql) that runs {@code reconcile_if_free} on each
     * account in a transaction of its own: it takes the account's row lock if no one holds it
     * ({@code FOR NO KEY UPDATE SKIP LOCKED}), then reconciles it with its plan's caps (read from the {@code plan}
     * table, the rows {@link PlanCatalogue} keeps, so the same caps as {@link #reconcile}) and writes the audit
     * entry, unless its payment grace has run out. An account that fails is rolled back alone. Plain JDBC in
     * autocommit (the procedure commits after each account): one round trip for all of them, no Hibernate session
     * and no transaction manager, which took most of the service's CPU per account.
     */
    public List<Turn> reconcileIfFree(List<Long> accountIds) {
        try (Connection connection = db.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "call reconcile_accounts(?, null, null, null, null, null)")) {
            statement.setArray(1, connection.createArrayOf("bigint", accountIds.toArray()));
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                String[] turns = (String[]) row.getArray("turns").getArray();
                String[] failures = (String[]) row.getArray("failures").getArray();
                Integer[] closed = (Integer[]) row.getArray("closed").getArray();
                Integer[] released = (Integer[]) row.getArray("released").getArray();
                Integer[] quarantined = (Integer[]) row.getArray("quarantined").getArray();
                List<Turn> result = new ArrayList<>(turns.length);
                for (int i = 0; i < turns.length; i++) {
                    if (failures[i] != null) {
                        LOG.warnf("reconciling account %d failed, retrying next round: %s", accountIds.get(i),
                                failures[i]);
                    }
                    result.add(Turn.valueOf(turns[i].toUpperCase(Locale.ROOT)));
                    metrics.acted(closed[i], released[i], quarantined[i]);
                }
                return result;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("reconciling accounts " + accountIds + " failed: " + e.getMessage(), e);
        }
    }

    private static int tunnelCap(Account account, PlanLimits plan) {
        return Math.min(plan.tunnels(), account.concurrentMax());
    }

    private <T> List<T> list(String sql, long accountId, int cap, Class<T> type) {
        @SuppressWarnings("unchecked")
        List<Object> rows = em.createNativeQuery(sql).setParameter("account", accountId).setParameter("cap", cap)
                .getResultList();
        return rows.stream().map(type::cast).toList();
    }

    /**
     * Accounts after {@code after} (in account order) that do not fit their plan, or whose payment grace has run
     * out: one set-based query.
     */
    @SuppressWarnings("unchecked")
    List<Long> candidates(long after, int batch) {
        List<Object> rows = em.createNativeQuery("""
                select a.account_id from account a join plan p on p.plan_id = a.plan
                 where a.account_id > :after
                   and ((a.grace_until is not null and a.grace_until < now())
                    or (select count(*) from tunnel t where t.account_id = a.account_id and t.closed_at is null)
                       > least(p.tunnels, a.concurrent_max)
                    or (select count(*) from reserved_subdomain s where s.account_id = a.account_id)
                       > p.reserved_subdomains
                    or (select count(*) from worker w where w.account_id = a.account_id and w.status = 'active')
                       > p.workers
                    or exists (select 1 from worker w where w.account_id = a.account_id and w.status = 'quarantined'
                                  and (w.quarantined_at < now() - interval '30 days'
                                       or (select count(*) from worker v where v.account_id = a.account_id
                                              and v.status = 'active') < p.workers)))
                 order by a.account_id limit :batch""").setParameter("after", after).setParameter("batch", batch)
                .getResultList();
        return rows.stream().map(r -> number(r)).toList();
    }
}
