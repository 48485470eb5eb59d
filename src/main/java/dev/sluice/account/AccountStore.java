package dev.sluice.account;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import dev.sluice.UtcNow;
import dev.sluice.account.AccountViews.AccountView;
import dev.sluice.audit.AuditLog;
import dev.sluice.limit.Credits;
import dev.sluice.limit.GlobalCeiling;
import dev.sluice.plan.Plan;

/**
 * Inserts accounts (with their usage row), provisions the internal one, and renders an account as the API shows
 * it; the features above (administration, plan changes, authentication) call it rather than writing the table.
 */
@ApplicationScoped
public class AccountStore {

    private static final AuditLog.Actor SYSTEM = new AuditLog.Actor("system", "bootstrap");

    @Inject
    Credits credits;
    @Inject
    GlobalCeiling ceiling;
    @Inject
    AccountConfig defaults;
    @Inject
    AuditLog auditLog;

    /**
     * Creates the internal account unless it exists, reserving its allocation; safe when several replicas race
     * to do it, because the existence check runs under the allocation row lock.
     */
    @Transactional
    Account provisionInternal() {
        Account existing = Account.bySlug(defaults.internalSlug());
        if (existing != null) {
            return existing;
        }
        Account account = Account.open(Accounts.validSlug(defaults.internalSlug()), "Internal", null, Plan.PRO.id());
        account.changeLimits(credits.fromUsd(defaults.internalDayUsd(), "INTERNAL_DAY_LIMIT"),
                credits.fromUsd(defaults.internalMonthUsd(), "INTERNAL_MONTH_LIMIT"));
        account.changeConcurrentMax(defaults.internalConcurrent().orElse(defaults.concurrentMax()));
        account.changeLeaseChunk(defaults.leaseChunk());
        ceiling.reserve(account.dayLimit(), account.monthLimit());
        Account raced = Account.bySlug(account.slug());
        if (raced != null) {
            // Another replica won the race; give back what this transaction reserved.
            ceiling.reserve(-account.dayLimit(), -account.monthLimit());
            return raced;
        }
        insert(account);
        auditLog.append(SYSTEM, "account.create", account.slug(), "account:" + account.slug(), AuditLog.OK,
                "internal account provisioned on first use");
        return account;
    }

    public AccountView view(Account a) {
        return new AccountView(a.slug(), a.name(), a.email(), a.status(), a.suspendedBy(), a.plan(), a.funding(),
                a.dayLimit(), a.monthLimit(), a.concurrentMax(), a.leaseChunk(),
                new AccountViews.Usd(credits.toUsd(a.dayLimit()), credits.toUsd(a.monthLimit())),
                a.stripeCustomerId(), a.createdAt());
    }

    /**
     * A new account, its slug's row and its usage row, in the caller's transaction (which reserved its limits).
     * The slug's primary key refuses a second account of the same slug whichever node holds the first.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void insert(Account account) {
        account.markCreated(UtcNow.get());
        account.persist();
        Account.getEntityManager().flush();
        Account.getEntityManager().createNativeQuery("insert into account_slug (slug, account_id) values (:slug, :account)")
                .setParameter("slug", account.slug()).setParameter("account", account.accountId()).executeUpdate();
        Account.getEntityManager().createNativeQuery("""
                insert into account_usage (account_id, day_start, month_start)
                values (:account, (now() at time zone 'utc')::date, date_trunc('month', now() at time zone 'utc')::date)""")
                .setParameter("account", account.accountId()).executeUpdate();
    }

}
