package dev.sluice.billing;

import static dev.sluice.SqlValues.number;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

import dev.sluice.account.Account;
import dev.sluice.audit.AuditLog;
import dev.sluice.plan.Plan;
import dev.sluice.plan.PlanLimits;
import dev.sluice.reconcile.PlanService;

/**
 * What a subscription, invoice or credit note event does to the account its customer is linked to: prepaid credit
 * bought or refunded ({@link StripeTopUps}) stands on its own; otherwise it acts only on the
 * linked subscription (or on a newer active one of the same customer, which takes over), an event not newer than
 * the newest applied one of its subscription and kind is {@code stale}, and the rest moves plans and grace.
 * Every method runs with the account's row lock held by the caller, which serialises it with every other change
 * of the account on any replica.
 */
@ApplicationScoped
class StripeBilling {

    static final Set<String> ENDED = Set.of("canceled", "unpaid", "incomplete_expired", "paused");
    static final Set<String> LIVE = Set.of("active", "trialing");

    @Inject
    EntityManager em;
    @Inject
    StripePrices prices;
    @Inject
    PlanService planService;
    @Inject
    AuditLog audit;
    @Inject
    StripeConfig config;
    @Inject
    StripeTopUps topUps;

    /** Applies a subscription or invoice event of the account's customer; returns its outcome. */
    @Transactional(Transactional.TxType.MANDATORY)
    StripeOutcome apply(Account account, StripeEvent event) {
        String subscription = event.subscription();
        // A top-up invoice has no subscription, so its credit is outside the subscription and stale rules.
        Optional<StripeOutcome> topUp = topUps.apply(account, event);
        if (topUp.isPresent() && subscription == null) {
            return topUp.get();
        }
        boolean linked = subscription != null && subscription.equals(account.stripeSubscriptionId());
        long since = event.object().path("created").asLong();
        boolean switching = !linked && subscription != null && startsLiveSubscription(event)
                && createdLater(account, since);
        if (!linked && !switching) {
            return StripeOutcome.of(StripeOutcome.Kind.OTHER_SUBSCRIPTION);
        }
        if (event.created() <= newestApplied(account, subscription, event.kind())) {
            // Equal counts as not newer: Stripe's seconds cannot order two events of one second, so the first
            // received stands rather than letting the second flip it back.
            return StripeOutcome.of(StripeOutcome.Kind.STALE);
        }
        if (switching) {
            linkSubscription(account, subscription, since);
        } else if (StripeEvent.SUBSCRIPTION.equals(event.kind()) && since > 0) {
            // Checkout could only estimate the linked subscription's creation time; its own events carry it.
            account.linkStripeSubscription(account.stripeSubscriptionId(), since);
        }
        StripeOutcome outcome = effect(account, event);
        if (outcome.changedAccount()) {
            markApplied(account, subscription, event.kind(), event.created());
        }
        return outcome;
    }

    /**
     * Links a subscription of the account's customer if it is newer than the linked one (none counts as oldest);
     * {@code created} is the subscription's own creation time, or as close to it as the caller knows.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    void linkIfNewer(Account account, String subscription, long created) {
        if (!subscription.equals(account.stripeSubscriptionId()) && createdLater(account, created)) {
            linkSubscription(account, subscription, created);
        }
    }

    private void linkSubscription(Account account, String subscription, long created) {
        audit.append(AuditLog.STRIPE, "billing.link", account.slug(), "subscription:" + subscription, AuditLog.OK,
                "replaces=" + account.stripeSubscriptionId());
        account.linkStripeSubscription(subscription, created);
    }

    private static boolean startsLiveSubscription(StripeEvent event) {
        return (event.type().equals("customer.subscription.created")
                || event.type().equals("customer.subscription.updated"))
                && LIVE.contains(event.object().path("status").asText(""));
    }

    /** An unknown creation time of the linked subscription (linked before it was kept) does not hold it. */
    private static boolean createdLater(Account account, long created) {
        return account.stripeSubscriptionId() == null || account.stripeSubscriptionCreated() == null
                || created > account.stripeSubscriptionCreated();
    }

    private StripeOutcome effect(Account account, StripeEvent event) {
        String status = event.object().path("status").asText("");
        switch (event.type()) {
            case "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted" -> {
                if (event.type().endsWith(".deleted") || ENDED.contains(status)) {
                    return changePlan(account, Plan.FREE.id());
                }
                if (LIVE.contains(status)) {
                    Optional<PlanLimits> plan = prices.planOfSubscription(event.object());
                    if (plan.isEmpty()) {
                        return StripeOutcome.of(StripeOutcome.Kind.UNKNOWN_PRICE);
                    }
                    account.clearGrace();
                    return changePlan(account, plan.get().id());
                }
                if (status.equals("past_due")) {
                    return startGrace(account, event);
                }
                return StripeOutcome.of(StripeOutcome.Kind.IGNORED_STATUS);
            }
            case "invoice.payment_failed" -> {
                return startGrace(account, event);
            }
            case "invoice.paid" -> {
                if (account.clearGrace()) {
                    audit.append(AuditLog.STRIPE, "billing.grace_cleared", account.slug(), "account:" + account.slug(),
                            AuditLog.OK, null);
                }
                return StripeOutcome.of(StripeOutcome.Kind.GRACE_CLEARED);
            }
            default -> {
                return StripeOutcome.of(StripeOutcome.Kind.IGNORED_TYPE);
            }
        }
    }

    private StripeOutcome changePlan(Account account, String planId) {
        planService.change(account, planId, AuditLog.STRIPE);
        return StripeOutcome.plan(planId);
    }

    /** Grace runs from when the payment failed at Stripe, not from when the event happened to arrive. */
    private StripeOutcome startGrace(Account account, StripeEvent event) {
        if (account.startGrace(Instant.ofEpochSecond(event.created()).plus(config.gracePeriod()))) {
            audit.append(AuditLog.STRIPE, "billing.grace_started", account.slug(), "account:" + account.slug(),
                    AuditLog.OK, "until=" + account.graceUntil());
        }
        return StripeOutcome.of(StripeOutcome.Kind.GRACE_STARTED);
    }

    /** The {@code created} of the newest event applied to the account's subscription of this kind (0 if none). */
    private long newestApplied(Account account, String subscription, String kind) {
        List<?> newest = em.createNativeQuery("""
                select last_event_created from stripe_subscription
                 where account_id = :account and subscription_id = :subscription and kind = :kind""")
                .setParameter("account", account.accountId()).setParameter("subscription", subscription)
                .setParameter("kind", kind).getResultList();
        return newest.isEmpty() ? 0 : number(newest.get(0));
    }

    private void markApplied(Account account, String subscription, String kind, long created) {
        em.createNativeQuery("""
                insert into stripe_subscription (account_id, subscription_id, kind, last_event_created)
                values (:account, :subscription, :kind, :created)
                on conflict (account_id, subscription_id, kind) do update
                   set last_event_created = greatest(stripe_subscription.last_event_created, excluded.last_event_created)""")
                .setParameter("account", account.accountId()).setParameter("subscription", subscription)
                .setParameter("kind", kind).setParameter("created", created).executeUpdate();
    }
}
