package dev.sluice.reconcile;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sluice.account.Account;
import dev.sluice.account.AccountStore;
import dev.sluice.account.AccountViews;
import dev.sluice.account.Accounts;
import dev.sluice.audit.AuditLog;
import dev.sluice.plan.Plan;
import dev.sluice.plan.PlanCatalogue;
import dev.sluice.plan.PlanLimits;

/**
 * The one path by which an account changes plan, whoever asks (root, a Stripe event, the end of a payment grace
 * period): the plan is written, the account reconciled at once in the same transaction, and a downgrade queues a
 * {@code plan.downgraded} event saying what it closed, released and quarantined.
 */
@ApplicationScoped
public class PlanService {

    @Inject
    EntityManager em;
    @Inject
    PlanCatalogue plans;
    @Inject
    Reconciler reconciler;
    @Inject
    AuditLog audit;
    @Inject
    ObjectMapper json;
    @Inject
    AccountStore store;

    private static final AuditLog.Actor ROOT = new AuditLog.Actor("root", "root");

    /** Root's plan change: clears any payment grace, then the one path below, under the account's row lock. */
    @Transactional
    public AccountViews.AccountView changeByRoot(String slug, Plan plan) {
        Account account = Accounts.lock(slug);
        account.clearGrace();
        change(account, plan.id(), ROOT);
        return store.view(account);
    }

    /**
     * Moves the account to free if its payment grace has run out, judged by the database's clock (as the
     * reconciler's candidate query judged it) under the account's row lock, taken with {@code SKIP LOCKED} as the
     * reconciler takes it: an account someone else is changing is left for the next round. Whether it moved it.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public boolean endGrace(long accountId) {
        Account account = Accounts.tryLock(accountId).orElse(null);
        if (account == null || account.graceUntil() == null
                || !Boolean.TRUE.equals(em.createNativeQuery("select cast(:until as timestamptz) < now()")
                        .setParameter("until", account.graceUntil()).getSingleResult())) {
            return false;
        }
        account.clearGrace();
        change(account, Plan.FREE.id(), AuditLog.RECONCILER);
        return true;
    }

    /** The caller holds the account's row lock ({@code Accounts.lock}). */
    @Transactional(Transactional.TxType.MANDATORY)
    public Reconciler.Result change(Account account, String planId, AuditLog.Actor actor) {
        PlanLimits from = plans.get(account.plan());
        PlanLimits to = plans.get(planId);
        account.changePlan(to.id());
        em.flush();
        Reconciler.Result result = reconciler.reconcile(account);
        if (!from.id().equals(to.id())) {
            audit.append(actor, "plan.change", account.slug(), "plan:" + to.id(), AuditLog.OK,
                    from.id() + "->" + to.id());
        }
        if (to.rank() < from.rank()) {
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("from", from.id());
            data.put("to", to.id());
            data.put("closedTunnels", result.closedTunnels());
            data.put("releasedSubdomains", result.releasedSubdomains());
            data.put("quarantinedWorkers", result.quarantinedWorkers());
            try {
                em.createNativeQuery("select enqueue_event(:account, 'plan.downgraded', cast(:data as jsonb))")
                        .setParameter("account", account.accountId())
                        .setParameter("data", json.writeValueAsString(data)).getSingleResult();
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("plan.downgraded data is plain JSON", e);
            }
        }
        return result;
    }
}
