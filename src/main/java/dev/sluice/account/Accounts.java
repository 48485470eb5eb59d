package dev.sluice.account;

import java.util.regex.Pattern;

import jakarta.persistence.LockModeType;

import dev.sluice.web.SluiceException;

/** Finding an account by slug, with the contract's answers for a malformed (400) or unknown (404) one. */
public final class Accounts {

    public static final String SLUG_PATTERN = "^[a-z0-9][a-z0-9-]{1,62}$";
    private static final Pattern SLUG = Pattern.compile(SLUG_PATTERN);

    private Accounts() {
    }

    public static Account require(String slug) {
        Account account = Account.bySlug(validSlug(slug));
        if (account == null) {
            throw SluiceException.notFound("No account '" + slug + "'.");
        }
        return account;
    }

    /** The account with its row locked until the transaction ends: serialises changes to one account. */
    public static Account lock(String slug) {
        Account account = require(slug);
        Account.getEntityManager().refresh(account, LockModeType.PESSIMISTIC_WRITE);
        return account;
    }

    /**
     * Takes the account's credit lock (its {@code account_usage} row, {@code FOR UPDATE}, rolling day and month
     * windows) and returns the account as this transaction sees it. Everything that counts or spends against an
     * account's caps holds this lock.
     */
    public static Account lockCredits(long accountId) {
        Account.getEntityManager().createNativeQuery("select (lock_usage(:account)).account_id")
                .setParameter("account", accountId).getSingleResult();
        return Account.findById(accountId);
    }

    public static String validSlug(String slug) {
        if (slug == null || !SLUG.matcher(slug).matches()) {
            throw SluiceException.validation("slug", "A slug is 2-63 characters of a-z, 0-9 and '-', "
                    + "starting with a letter or digit.");
        }
        return slug;
    }
}
