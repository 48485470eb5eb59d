package dev.sluice.account;

import jakarta.persistence.LockModeType;

import dev.sluice.auth.Slugs;
import dev.sluice.web.SluiceException;

/** Finding an account by slug, with the contract's answers for a malformed (400) or unknown (404) one. */
public final class Accounts {


    private Accounts() {
    }

    public static Account require(String slug) {
        Account account = Account.bySlug(validSlug(slug));
        if (account == null) {
            throw SluiceException.notFound("No account '" + slug + "'.");
        }
        return account;
    }

    /**
     * The account with its row locked until the transaction ends ({@code FOR NO KEY UPDATE}, Hibernate's
     * pessimistic write on PostgreSQL): serialises changes to one account. With {@link #tryLock}, the way Java locks
     * an account row (the scheduled reconciler's {@code reconcile_if_free}, in db/functions/R__reconciler.sql, takes
     * the same lock in SQL).
     */
    public static Account lock(String slug) {
        return lock(require(slug));
    }

    public static Account lock(Account account) {
        Account.getEntityManager().refresh(account, LockModeType.PESSIMISTIC_WRITE);
        return account;
    }

    /**
     * The account's row lock if no one holds it ({@code SKIP LOCKED}: the reconciler's replicas split the work),
     * refreshed; empty if another transaction has it.
     */
    public static java.util.Optional<Account> tryLock(long accountId) {
        if (Account.getEntityManager().createNativeQuery(
                "select account_id from account where account_id = :account for no key update skip locked")
                .setParameter("account", accountId).getResultList().isEmpty()) {
            return java.util.Optional.empty();
        }
        Account account = Account.findById(accountId);
        Account.getEntityManager().refresh(account);
        return java.util.Optional.of(account);
    }

    public static String validSlug(String slug) {
        return Slugs.require(slug, "slug");
    }
}
