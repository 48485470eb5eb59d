package dev.sluice.team;

import static dev.sluice.SqlValues.instant;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;
import jakarta.transaction.Transactional;

import dev.sluice.account.Account;
import dev.sluice.account.Accounts;
import dev.sluice.audit.AuditTrail;
import dev.sluice.auth.Principal;
import dev.sluice.web.SluiceException;

/** Teams: an owner lets member accounts read its usage; nothing else is shared and its limits stay the cap. */
@ApplicationScoped
public class MemberService {

    static final Set<String> ROLES = Set.of("viewer");

    public record Member(String member, String role, Instant createdAt) {
    }

    public record MemberList(List<Member> members) {
    }

    public record Membership(String owner, String role, Instant createdAt) {
    }

    public record MembershipList(List<Membership> memberships) {
    }

    @Inject
    EntityManager em;
    @Inject
    AuditTrail audit;

    @Transactional
    public Member add(String ownerSlug, String memberSlug, String role) {
        String granted = role == null ? "viewer" : role;
        if (!ROLES.contains(granted)) {
            throw SluiceException.validation("role", "'role' must be \"viewer\".");
        }
        Account owner = Accounts.require(ownerSlug);
        if (memberSlug == null) {
            throw SluiceException.validation("member", "'member' is the slug of the account to add.");
        }
        Account member = Accounts.require(memberSlugOf(memberSlug));
        if (member.accountId().equals(owner.accountId())) {
            throw SluiceException.validation("member", "An account cannot be a member of itself.");
        }
        Tuple row = (Tuple) em.createNativeQuery("""
                insert into account_member (account_id, member_account_id, role) values (:owner, :member, :role)
                on conflict (account_id, member_account_id) do update set role = excluded.role
                returning role, created_at""", Tuple.class)
                .setParameter("owner", owner.accountId()).setParameter("member", member.accountId())
                .setParameter("role", granted).getSingleResult();
        audit.succeeded(ownerSlug, "member:" + memberSlug, "role=" + granted);
        return new Member(memberSlug, (String) row.get("role"), instant(row.get("created_at")));
    }

    public MemberList list(String ownerSlug) {
        Account owner = Accounts.require(ownerSlug);
        return new MemberList(grants("account_id", "member_account_id", owner.accountId()).stream()
                .map(g -> new Member(g.slug(), g.role(), g.createdAt())).toList());
    }

    /** The owners whose usage {@code memberAccountId} may read with {@code X-Account}, oldest grant first. */
    public MembershipList memberships(long memberAccountId) {
        return new MembershipList(grants("member_account_id", "account_id", memberAccountId).stream()
                .map(g -> new Membership(g.slug(), g.role(), g.createdAt())).toList());
    }

    private record Grant(String slug, String role, Instant createdAt) {
    }

    /**
     * Memberships whose {@code side} column is {@code accountId}, each named by the slug of its {@code other}
     * account, oldest first. Two reads rather than a join: on Citus the other account lives on another shard, and a
     * join on a column that is not the distribution column would need repartitioning.
     */
    private List<Grant> grants(String side, String other, long accountId) {
        @SuppressWarnings("unchecked")
        List<Tuple> rows = em.createNativeQuery("select " + other + " as other_account_id, role, created_at"
                + " from account_member where " + side + " = :account", Tuple.class)
                .setParameter("account", accountId).getResultList();
        if (rows.isEmpty()) {
            return List.of();
        }
        @SuppressWarnings("unchecked")
        List<Tuple> slugs = em.createNativeQuery(
                "select account_id, slug from account where account_id = any(cast(:ids as bigint[]))", Tuple.class)
                .setParameter("ids", rows.stream().map(r -> String.valueOf(r.get("other_account_id")))
                        .collect(Collectors.joining(",", "{", "}")))
                .getResultList();
        Map<Long, String> slugOf = slugs.stream()
                .collect(Collectors.toMap(r -> ((Number) r.get("account_id")).longValue(),
                        r -> (String) r.get("slug")));
        return rows.stream()
                .map(r -> new Grant(slugOf.get(((Number) r.get("other_account_id")).longValue()),
                        (String) r.get("role"), instant(r.get("created_at"))))
                .sorted(Comparator.comparing(Grant::createdAt).thenComparing(Grant::slug)).toList();
    }

    @Transactional
    public Map<String, Object> remove(String ownerSlug, String memberSlug) {
        Account owner = Accounts.require(ownerSlug);
        Account member = Account.bySlug(memberSlugOf(memberSlug));
        int removed = member == null ? 0 : em.createNativeQuery(
                "delete from account_member where account_id = :owner and member_account_id = :member")
                .setParameter("owner", owner.accountId()).setParameter("member", member.accountId()).executeUpdate();
        if (removed == 0) {
            throw SluiceException.notFound("'" + memberSlug + "' is not a member.");
        }
        audit.succeeded(ownerSlug, "member:" + memberSlug, null);
        return Map.of("ok", true, "member", memberSlug);
    }

    private static String memberSlugOf(String slug) {
        try {
            return Accounts.validSlug(slug);
        } catch (SluiceException e) {
            throw SluiceException.validation("member", "'member' must be an account slug.");
        }
    }

    /**
     * The account whose usage the caller reads: its own, or with {@code X-Account} an owner it is a member of.
     * A malformed value is 400; an absent account and a non-member are both 403, so neither is told apart.
     */
    public long readableAccount(Principal caller, String xAccount) {
        if (xAccount == null || xAccount.equals(caller.slug())) {
            return caller.accountId();
        }
        try {
            Accounts.validSlug(xAccount);
        } catch (SluiceException e) {
            throw SluiceException.validation("X-Account", "X-Account must be an account slug.");
        }
        Account owner = Account.bySlug(xAccount);
        boolean member = owner != null && ((Number) em.createNativeQuery("""
                select count(*) from account_member where account_id = :owner and member_account_id = :member""")
                .setParameter("owner", owner.accountId()).setParameter("member", caller.accountId())
                .getSingleResult()).longValue() > 0;
        if (!member) {
            throw SluiceException.forbidden("This account may not read that account's usage.");
        }
        return owner.accountId();
    }
}
