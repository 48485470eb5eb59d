package dev.sluice.tunnel;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;
import jakarta.transaction.Transactional;

import dev.sluice.SqlValues;
import dev.sluice.UtcNow;
import dev.sluice.account.Account;
import dev.sluice.audit.AuditTrail;
import dev.sluice.auth.Principal;
import dev.sluice.money.CreditLock;
import dev.sluice.plan.PlanCatalogue;
import dev.sluice.plan.PlanLimits;
import dev.sluice.web.DnsLabel;
import dev.sluice.web.ErrorCode;
import dev.sluice.web.SluiceException;

/**
 * Reserved subdomains: a name belongs to at most one account (its {@code subdomain_claim}), counts against the
 * plan's cap, and stays reserved after its tunnel closes.
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
        return new SluiceException(409, ErrorCode.SUBDOMAIN_TAKEN, "The subdomain '" + name + "' is taken.",
                Map.of("field", "subdomain"), Map.of());
    }

    void requireReservable(PlanLimits plan) {
        if (plan.reservedSubdomains() == 0) {
            throw new SluiceException(403, ErrorCode.RESERVED_SUBDOMAIN_NOT_ALLOWED,
                    "Reserved subdomains require a Pro plan. Upgrade to Pro for reserved subdomains.",
                    Map.of("upgradeUrl", plans.upgradeUrl()), Map.of());
        }
    }

    boolean isReservedBy(long accountId, String name) {
        return count("select count(*) from reserved_subdomain where account_id = :account and name = :name",
                Map.of("account", accountId, "name", name)) > 0;
    }

    /** Reserved by this account, or open as one of its tunnels (other accounts' names are their claims'). */
    boolean isInUseBy(long accountId, String name) {
        return count("""
                select (select count(*) from reserved_subdomain where account_id = :account and name = :name)
                     + (select count(*) from tunnel where account_id = :account and subdomain = :name
                                                      and closed_at is null)""",
                Map.of("account", accountId, "name", name)) > 0;
    }

    /**
     * Claims a hostname for the account, before the account reserves it or opens a tunnel on it; false if another
     * account holds it. A free name is decided by the claim's primary key (one insert, whichever node holds it on
     * Citus). A claim outlives its use, so a held name is locked ({@code FOR UPDATE} on the claim row) while its
     * holder is checked, and taken over if the holder neither reserves it nor has it open: every use of a name
     * passes here first, so the holder cannot start using it again until this transaction ends.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    boolean claim(long accountId, String name) {
        if (em.createNativeQuery("""
                insert into subdomain_claim (name, holder_account_id) values (:name, :account)
                on conflict (name) do nothing""").setParameter("name", name).setParameter("account", accountId)
                .executeUpdate() == 1) {
            return true;
        }
        long holder = ((Number) em.createNativeQuery(
                "select holder_account_id from subdomain_claim where name = :name for update")
                .setParameter("name", name).getSingleResult()).longValue();
        if (holder == accountId) {
            return true;
        }
        if (isInUseBy(holder, name)) {
            return false;
        }
        em.createNativeQuery("update subdomain_claim set holder_account_id = :account where name = :name")
                .setParameter("account", accountId).setParameter("name", name).executeUpdate();
        return true;
    }

    /** Reserves a name for the account; the caller holds the account's credit lock, which serialises the cap. */
    @Transactional(Transactional.TxType.MANDATORY)
    Instant reserve(Account account, PlanLimits plan, String name) {
        requireReservable(plan);
        if (isInUseBy(account.accountId(), name) || !claim(account.accountId(), name)) {
            throw taken(name);
        }
        if (count("select count(*) from reserved_subdomain where account_id = :account",
                Map.of("account", account.accountId())) >= plan.reservedSubdomains()) {
            throw plans.planLimit(plan, plan.reservedSubdomains(), "reserved subdomain");
        }
        Instant now = UtcNow.get();
        em.createNativeQuery("insert into reserved_subdomain (account_id, name, reserved_at) values (:account, :name, :now)")
                .setParameter("account", account.accountId()).setParameter("name", name).setParameter("now", now)
                .executeUpdate();
        return now;
    }

    @Transactional
    public Reserved reserve(CreditLock lock, Principal caller, String name) {
        DnsLabel.require(name, "name");
        Account account = lock.lock(caller.accountId());
        account.requireActive();
        Instant at = reserve(account, plans.get(account.plan()), name);
        audit.succeeded(account.slug(), "subdomain:" + name, null);
        return new Reserved(name, at);
    }

    public ReservedList list(Principal caller) {
        @SuppressWarnings("unchecked")
        List<Tuple> rows = em.createNativeQuery("""
                select name, reserved_at from reserved_subdomain where account_id = :account
                 order by reserved_at, name""", Tuple.class)
                .setParameter("account", caller.accountId()).getResultList();
        return new ReservedList(rows.stream()
                .map(r -> new Reserved((String) r.get("name"), SqlValues.instant(r.get("reserved_at")))).toList());
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
