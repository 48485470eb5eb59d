package dev.sluice.tunnel;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

import dev.sluice.SqlValues;
import dev.sluice.UtcNow;
import dev.sluice.account.Account;
import dev.sluice.account.Accounts;
import dev.sluice.audit.AuditTrail;
import dev.sluice.auth.Principal;
import dev.sluice.plan.PlanCatalogue;
import dev.sluice.plan.PlanLimits;
import dev.sluice.web.DnsLabel;
import dev.sluice.web.SluiceException;

/**
 * Reserved subdomains: a name belongs to at most one account (unique index), counts against the plan's cap, and
 * stays reserved after its tunnel closes.
 */
@ApplicationScoped
public class SubdomainService {


    public record Reserved(String name, Instant reservedAt) {
    }

    public record ReservedList(List<Reserved> subdomains) {
    }

    @Inject
    EntityManager em;
    @Inject
    PlanCatalogue plans;
    @Inject
    AuditTrail audit;

    static SluiceException taken(String name) {
        return new SluiceException(409, "SUBDOMAIN_TAKEN", "The subdomain '" + name + "' is taken.",
                Map.of("field", "subdomain"), Map.of());
    }

    void requireReservable(PlanLimits plan) {
        if (plan.reservedSubdomains() == 0) {
            throw new SluiceException(403, "RESERVED_SUBDOMAIN_NOT_ALLOWED",
                    "Reserved subdomains require a Pro plan. Upgrade to Pro for reserved subdomains.",
                    Map.of("upgradeUrl", plans.upgradeUrl()), Map.of());
        }
    }

    boolean isReservedBy(long accountId, String name) {
        return count("select count(*) from reserved_subdomain where account_id = :account and name = :name",
                Map.of("account", accountId, "name", name)) > 0;
    }

    /** Reserved by anyone, or open as a tunnel of anyone. */
    boolean isTaken(String name) {
        return count("""
                select (select count(*) from reserved_subdomain where name = :name)
                     + (select count(*) from tunnel where subdomain = :name and closed_at is null)""",
                Map.of("name", name)) > 0;
    }

    /** Reserves a name for the account; the caller holds the account's credit lock, which serialises the cap. */
    @Transactional(Transactional.TxType.MANDATORY)
    Instant reserve(Account account, PlanLimits plan, String name) {
        requireReservable(plan);
        if (isTaken(name)) {
            throw taken(name);
        }
        if (count("select count(*) from reserved_subdomain where account_id = :account",
                Map.of("account", account.accountId())) >= plan.reservedSubdomains()) {
            throw plans.planLimit(plan, plan.reservedSubdomains(), "reserved subdomain");
        }
        Instant now = UtcNow.get();
        // A racing reservation of the same name by another account loses on the unique index, quietly.
        int inserted = em.createNativeQuery("""
                insert into reserved_subdomain (account_id, name, reserved_at) values (:account, :name, :now)
                on conflict (name) do nothing""")
                .setParameter("account", account.accountId()).setParameter("name", name).setParameter("now", now)
                .executeUpdate();
        if (inserted == 0) {
            throw taken(name);
        }
        return now;
    }

    @Transactional
    public Reserved reserve(Principal caller, String name) {
        DnsLabel.require(name, "name");
        Account account = Accounts.lockCredits(caller.accountId());
        account.requireActive();
        Instant at = reserve(account, plans.get(account.plan()), name);
        audit.succeeded(account.slug(), "subdomain:" + name, null);
        return new Reserved(name, at);
    }

    public ReservedList list(Principal caller) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("""
                select name, reserved_at from reserved_subdomain where account_id = :account
                 order by reserved_at, name""").setParameter("account", caller.accountId()).getResultList();
        return new ReservedList(rows.stream().map(r -> new Reserved((String) r[0], SqlValues.instant(r[1]))).toList());
    }

    @Transactional
    public Map<String, Object> release(Principal caller, String name) {
        DnsLabel.require(name, "name");
        int deleted = em.createNativeQuery("delete from reserved_subdomain where account_id = :account and name = :name")
                .setParameter("account", caller.accountId()).setParameter("name", name).executeUpdate();
        if (deleted == 0) {
            throw SluiceException.notFound("No reserved subdomain '" + name + "'.");
        }
        audit.succeeded(caller.slug(), "subdomain:" + name, null);
        return Map.of("ok", true, "name", name);
    }

    private long count(String sql, Map<String, Object> parameters) {
        var query = em.createNativeQuery(sql);
        parameters.forEach(query::setParameter);
        return ((Number) query.getSingleResult()).longValue();
    }
}
