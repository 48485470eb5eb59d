package dev.sluice.billing;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

import dev.sluice.account.Account;
import dev.sluice.account.Accounts;
import dev.sluice.audit.AuditLog;
import dev.sluice.money.AccountTurns;

/**
 * Who a Stripe customer belongs to: checkout links an account that has no customer yet (or already this
 * one), root re-links, and whatever a customer's events did before it was linked is applied inside the
 * transaction that links it.
 *
 * <p>Locks, in this order: the customer's advisory lock ({@link #lockCustomer}), then the account row
 * ({@code FOR NO KEY UPDATE}), then whatever a plan change takes (account_usage, global_allocation). The customer
 * lock makes "no account has this customer, keep the event" and "link the customer, apply its kept events"
 * exclusive across replicas, so an event can never be kept after its customer's kept events were applied.
 */
@ApplicationScoped
public class StripeLinks {

    @Inject
    EntityManager em;
    @Inject
    StripeInbox inbox;
    @Inject
    StripeBilling billing;
    @Inject
    StripeReference references;
    @Inject
    AuditLog audit;
    @Inject
    AccountTurns turns;

    /** Holds the customer's lock until the transaction ends; take it before any account row lock. */
    @Transactional(Transactional.TxType.MANDATORY)
    public void lockCustomer(String customer) {
        em.createNativeQuery("select 1 from pg_advisory_xact_lock(hashtextextended(:key, 0))")
                .setParameter("key", "stripe-customer:" + customer).getResultList();
    }

    /**
     * Root's re-link (or unlink, {@code customer} null) of an account whose row lock the caller holds, having
     * taken the new customer's lock first. The old subscription belonged to the old customer, so it goes too.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void relink(Account account, String customer) {
        lockCreditsBeforeLinking(account);
        account.linkStripeCustomer(customer);
        if (customer != null) {
            applyKept(account);
        }
    }

    /** {@code checkout.session.completed}: links the account its verified {@code client_reference_id} names. */
    StripeOutcome checkout(StripeEvent event) {
        Optional<StripeReference.Claim> claim = references.read(
                event.object().path("client_reference_id").asText(null));
        Account account = claim.map(c -> Account.bySlug(c.slug())).orElse(null);
        if (account == null) {
            return StripeOutcome.of(StripeOutcome.Kind.UNKNOWN_ACCOUNT);
        }
        if (!claim.get().verified()) {
            return StripeOutcome.of(StripeOutcome.Kind.UNVERIFIED);
        }
        String customer = event.customer();
        if (customer == null) {
            return StripeOutcome.of(StripeOutcome.Kind.NO_CUSTOMER);
        }
        lockCustomer(customer);
        Accounts.lock(account);
        boolean ownedElsewhere = Account.count("stripeCustomerId = ?1 and accountId <> ?2", customer,
                account.accountId()) > 0;
        if (ownedElsewhere || (account.stripeCustomerId() != null && !account.stripeCustomerId().equals(customer))) {
            // Anyone can name any account in a Payment Link: a session never moves an account to another customer.
            audit.append(AuditLog.STRIPE, "billing.link", account.slug(), "customer:" + customer, "conflict", null);
            return StripeOutcome.of(StripeOutcome.Kind.CONFLICT);
        }
        if (account.stripeCustomerId() == null) {
            lockCreditsBeforeLinking(account);
            account.linkStripeCustomer(customer);
            audit.append(AuditLog.STRIPE, "billing.link", account.slug(), "customer:" + customer, AuditLog.OK, null);
        }
        String subscription = event.subscription();
        if (subscription != null) {
            // Stripe creates the subscription as the session completes, so the event's time stands in for its own.
            billing.linkIfNewer(account, subscription, event.created());
        }
        applyKept(account);
        return StripeOutcome.of(StripeOutcome.Kind.LINKED);
    }

    /** A subscription or invoice event: applied to the account linked to its customer, or kept until one is. */
    StripeOutcome deliver(StripeEvent event) {
        String customer = event.customer();
        if (customer == null) {
            return StripeOutcome.of(StripeOutcome.Kind.UNKNOWN_CUSTOMER);
        }
        lockCustomer(customer);
        Account account = Account.find("stripeCustomerId", customer).firstResult();
        if (account == null) {
            return StripeOutcome.of(StripeOutcome.Kind.UNKNOWN_CUSTOMER);
        }
        Accounts.lock(account);
        // Root may have re-linked the account while this waited for its row lock.
        return customer.equals(account.stripeCustomerId()) ? billing.apply(account, event)
                : StripeOutcome.of(StripeOutcome.Kind.UNKNOWN_CUSTOMER);
    }

    /**
     * A kept event applied after linking may reconcile, which takes the credit lock. Taking it before the link is
     * written keeps the documented order: a settlement or registration holding it (and inserting under it) then
     * finishes before this waits on anything it holds.
     */
    private void lockCreditsBeforeLinking(Account account) {
        turns.outsideTurns().lock(account.accountId());
    }

    private void applyKept(Account account) {
        for (StripeEvent kept : inbox.unlinked(account.stripeCustomerId())) {
            inbox.record(kept.id(), billing.apply(account, kept));
        }
    }

}
