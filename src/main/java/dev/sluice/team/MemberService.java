package dev.sluice.team;

import static dev.sluice.SqlValues.instant;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
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
        Object[] row = (Object[]) em.createNativeQuery("""
                insert into account_member (account_id, member_account_id, role) values (:owner, :member, :role)
                on conflict (account_id, member_account_id) do update set role = excluded.role
                returning role, created_at""")
                .setParameter("owner", owner.accountId()).setParameter("member", member.accountId())
                .setParameter("role", granted).getSingleResult();
        audit.succeeded(ownerSlug, "member:" + memberSlug, "role=" + granted);
        return new Member(memberSlug, (String) row[0], instant(row[1]));
    }

    public MemberList list(String ownerSlug) {
        Account owner = Accounts.require(ownerSlug);
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("""
                select a.slug, m.role, m.created_at from account_member m
                  join account a on a.account_id = m.member_account_id
                 where m.account_id = :owner order by m.created_at, a.slug""")
                .setParameter("owner", owner.accountId()).getResultList();
        return new MemberList(rows.stream().map(r -> new Member((String) r[0], (String) r[1], instant(r[2]))).toList());
    }

    /** The owners whose usage {@code memberAccountId} may read with {@code X-Account}, oldest grant first. */
    public MembershipList memberships(long memberAccountId) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("""
                select a.slug, m.role, m.created_at from account_member m
                  join account a on a.account_id = m.account_id
                 where m.member_account_id = :member order by m.created_at, a.slug""")
                .setParameter("member", memberAccountId).getResultList();
        return new MembershipList(
                rows.stream().map(r -> new Membership((String) r[0], (String) r[1], instant(r[2]))).toList());
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
