package dev.sluice.money;

import java.util.UUID;

import dev.sluice.account.Account;

/**
 * The right to take an account's credit lock (its {@code account_usage} row, {@code FOR UPDATE}) from Java, and to
 * make the money core's statements that take it. Only {@link AccountTurns} makes one (the constructor is this
 * package's, and {@code CreditLockBoundaryTest} keeps it AccountTurns' alone), and hands it to work it runs in the
 * account's turn, so whatever takes the lock from Java takes the account's turn first: a pile of one account's work
 * holds one connection at most. A lock made for root's or Stripe's calls ({@link AccountTurns#outsideTurns}) is
 * bound to no account: those calls have no account of their own and run at once, as the reapers and the reconciler
 * do, whose SQL takes the lock itself.
 */
public final class CreditLock {

    private final Long accountId;
    private final Settlements settlements;

    CreditLock(Long accountId, Settlements settlements) {
        this.accountId = accountId;
        this.settlements = settlements;
    }

    /**
     * Takes the account's credit lock in the caller's transaction, rolling its windows, and returns the account as
     * this transaction sees it. Everything that counts or spends against an account's caps holds this lock.
     */
    public Account lock(long account) {
        return settlements.lockCredits(of(account));
    }

    /**
     * Charges a registration's credit under the lock to the token that registers ({@code tokenId}; null for
     * TUNNEL_SECRET), in the caller's transaction.
     */
    public RegistrationCharge chargeRegistration(long account, UUID tokenId) {
        return settlements.chargeRegistration(of(account), tokenId);
    }

    /**
     * Closes the account's open tunnels (or those registered with {@code tokenId}) in the caller's transaction; what
     * they held goes back to the pool. Answers how many closed.
     */
    public int closeOpen(long account, UUID tokenId, CloseReason reason) {
        return settlements.closeOpen(of(account), tokenId, reason);
    }

    /** Closes the oldest open tunnels beyond {@code cap} (reason plan_downgrade), in the caller's transaction. */
    public int closeExcess(long account, int cap) {
        return settlements.closeExcess(of(account), cap);
    }

    /** The account this lock may take: the turn's own, or any for a call outside turns. */
    private long of(long account) {
        if (accountId != null && accountId != account) {
            throw new IllegalStateException("account " + accountId + "'s turn cannot take account " + account
                    + "'s credit lock");
        }
        return account;
    }
}
