package dev.sluice.tunnel;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;
import jakarta.transaction.Transactional;

import dev.sluice.SqlValues;
import dev.sluice.UtcNow;
import dev.sluice.account.Account;
import dev.sluice.account.OperatorNames;
import dev.sluice.audit.AuditTrail;
import dev.sluice.auth.Principal;
import dev.sluice.money.CreditLock;
import dev.sluice.plan.PlanCatalogue;
import dev.sluice.plan.PlanLimits;
import dev.sluice.web.DnsLabel;
import dev.sluice.web.ErrorCode;
import dev.sluice.web.SluiceException;
import io.quarkus.runtime.StartupEvent;

/**
 * Reserved subdomains: a name belongs to at most one account (its {@code subdomain_claim}), counts against the
 * plan's cap, stays reserved after its tunnel closes, and stays the account's for the cool-off after its release.
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
    @Inject
    OperatorNames operatorNames;

    private final double cooldownSeconds;

    @Inject
    SubdomainService(TunnelConfig config) {
        if (config.subdomainCooldown().isNegative()) {
            throw new IllegalStateException("SUBDOMAIN_COOLDOWN must not be negative; it is "
                    + config.subdomainCooldown() + ".");
        }
        this.cooldownSeconds = config.subdomainCooldown().toMillis() / 1000.0;
    }

    void validateAtStartup(@Observes StartupEvent event) {
        // Constructing the bean is the check; observing start-up forces it before the first request.
    }

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
     * Claims a hostname for the account, before the account reserves it or opens a tunnel on it; false if it is not
     * the account's to take. A name the account already holds (in use, or in its own cool-off) is its own; any other
     * is decided by contract §5's rules, in order: the operator's names are nobody's; a name equal to a slug or
     * beginning with {@code <slug>-} is that slug's account's (the longest such slug decides); a name another account
     * uses, or released or last had open less than {@code SUBDOMAIN_COOLDOWN} ago, is that account's. The cool-off
     * is worked out here from the holder's own rows (its release, its tunnels' closes), so no release or close writes
     * a claim. A name never claimed is decided by the claim's primary key (one insert, whichever node holds it on
     * Citus); a held one is locked ({@code FOR UPDATE} on the claim row) while its holder is checked: every use of a
     * name passes here first, so the holder cannot start using it again until this transaction ends.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    boolean claim(long accountId, String name) {
        Long holder = lockedHolder(name);
        if (holder == null) {
            if (!freeNameMayGoTo(accountId, name)) {
                return false;
            }
            if (em.createNativeQuery("""
                    insert into subdomain_claim (name, holder_account_id) values (:name, :account)
                    on conflict (name) do nothing""").setParameter("name", name).setParameter("account", accountId)
                    .executeUpdate() == 1) {
                return true;
            }
            holder = lockedHolder(name); // another account claimed it first
        }
        if (holder == accountId && (isInUseBy(accountId, name) || isCoolingOff(accountId, name))) {
            return true;
        }
        if (holder != accountId && (isInUseBy(holder, name) || isCoolingOff(holder, name))
                || !freeNameMayGoTo(accountId, name)) {
            return false;
        }
        em.createNativeQuery("update subdomain_claim set holder_account_id = :account where name = :name")
                .setParameter("account", accountId).setParameter("name", name).executeUpdate();
        return true;
    }

    private Long lockedHolder(String name) {
        List<?> holders = em.createNativeQuery(
                "select holder_account_id from subdomain_claim where name = :name for update")
                .setParameter("name", name).getResultList();
        return holders.isEmpty() ? null : ((Number) holders.get(0)).longValue();
    }

    /** Whether a name nobody holds may go to the account: not the operator's, not under another account's slug. */
    private boolean freeNameMayGoTo(long accountId, String name) {
        if (operatorNames.contains(name)) {
            return false;
        }
        List<String> slugs = new ArrayList<>();
        slugs.add(name);
        for (int dash = name.indexOf('-'); dash > 0; dash = name.indexOf('-', dash + 1)) {
            slugs.add(name.substring(0, dash));
        }
        List<?> owners = em.createNativeQuery("""
                select account_id from account_slug where slug = any (cast(:slugs as text[]))
                 order by length(slug) desc limit 1""")
                .setParameter("slugs", slugs.toArray(String[]::new)).getResultList();
        return owners.isEmpty() || ((Number) owners.get(0)).longValue() == accountId;
    }

    /** Whether the account released the name, or closed its last tunnel on it, less than the cool-off ago. */
    boolean isCoolingOff(long accountId, String name) {
        return (Boolean) em.createNativeQuery("""
                select coalesce(greatest(
                    (select max(closed_at) from tunnel where account_id = :account and subdomain = :name),
                    (select released_at from subdomain_release where account_id = :account and name = :name))
                    > now() - make_interval(secs => :cooldown), false)""")
                .setParameter("account", accountId).setParameter("name", name).setParameter("cooldown", cooldownSeconds)
                .getSingleResult();
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
        // The cool-off starts: the name stays this account's for SUBDOMAIN_COOLDOWN (claim reads it).
        em.createNativeQuery("""
                insert into subdomain_release (account_id, name, released_at) values (:account, :name, now())
                on conflict (account_id, name) do update set released_at = excluded.released_at""")
                .setParameter("account", caller.accountId()).setParameter("name", name).executeUpdate();
        audit.succeeded(caller.slug(), "subdomain:" + name, null);
        return Map.of("ok", true, "name", name);
    }

    private long count(String sql, Map<String, Object> parameters) {
        var query = em.createNativeQuery(sql);
        parameters.forEach(query::setParameter);
        return ((Number) query.getSingleResult()).longValue();
    }
}
