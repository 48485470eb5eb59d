package dev.sluice.billing;

import static dev.sluice.SqlValues.number;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.stripe.exception.SignatureVerificationException;
import com.stripe.net.Webhook;

import dev.sluice.UtcNow;
import dev.sluice.account.Account;
import dev.sluice.audit.AuditLog;
import dev.sluice.plan.Plan;
import dev.sluice.plan.PlanLimits;
import dev.sluice.plan.PlanService;
import dev.sluice.web.SluiceException;

/**
 * Stripe's webhook: the signature is checked on the raw body with stripe-java against every secret in
 * {@code STRIPE_WEBHOOK_SECRET} (rotation), each event is stored once by id in the {@code stripe_event} inbox and
 * applied in the same transaction (it is a handful of row updates), an event older than the newest one applied to
 * its subscription is recorded and ignored, and unknown customers or types are recorded for root.
 */
@ApplicationScoped
public class StripeEvents {

    static final long TOLERANCE_SECONDS = 300;
    static final Set<String> ENDED = Set.of("canceled", "unpaid", "incomplete_expired", "paused");
    /** Outcomes that changed the account: only these advance a subscription's newest-applied time. */
    static final Set<String> APPLIED = Set.of("plan_free", "plan_starter", "plan_pro", "grace_started", "grace_cleared");

    @Inject
    EntityManager em;
    @Inject
    ObjectMapper json;
    @Inject
    StripePrices prices;
    @Inject
    PlanService planService;
    @Inject
    AuditLog audit;
    @ConfigProperty(name = "stripe-webhook-secret")
    Optional<String> secrets;
    @ConfigProperty(name = "grace-period", defaultValue = "PT72H")
    Duration gracePeriod;

    /** Verifies, stores and applies one delivery; returns the outcome recorded for it. */
    @Transactional
    public String receive(String payload, String signatureHeader) {
        verify(payload, signatureHeader);
        JsonNode event;
        try {
            event = json.readTree(payload);
        } catch (JsonProcessingException e) {
            throw SluiceException.validation(null, "The event is not JSON.");
        }
        String id = event.path("id").asText("");
        String type = event.path("type").asText("");
        if (id.isEmpty() || type.isEmpty() || !event.path("created").canConvertToLong()) {
            throw SluiceException.validation(null, "The event has no id, type or created time.");
        }
        if (payload.contains("\\u0000")) {
            throw SluiceException.validation(null, "The event contains a NUL character.");
        }
        long created = event.path("created").asLong();
        JsonNode object = event.path("data").path("object");
        String customer = idOf(object.path("customer"));
        String subscription = subscriptionOf(type, object);
        int stored = em.createNativeQuery("""
                insert into stripe_event (event_id, type, created, customer, subscription, outcome, payload)
                values (:id, :type, :created, :customer, :subscription, 'received', cast(:payload as jsonb))
                on conflict (event_id) do nothing""")
                .setParameter("id", id).setParameter("type", type).setParameter("created", created)
                .setParameter("customer", customer).setParameter("subscription", subscription)
                .setParameter("payload", payload).executeUpdate();
        if (stored == 0) {
            return "duplicate";
        }
        Account account = type.equals("checkout.session.completed") ? null : accountOf(customer, subscription);
        String outcome;
        if (account != null && subscription != null && created < newestApplied(subscription)) {
            outcome = "stale";
        } else {
            outcome = apply(type, object, account);
            if (account != null && subscription != null && APPLIED.contains(outcome)) {
                markApplied(subscription, account.accountId, created);
            }
        }
        em.createNativeQuery("update stripe_event set outcome = :outcome where event_id = :id")
                .setParameter("outcome", outcome).setParameter("id", id).executeUpdate();
        return outcome;
    }

    private void verify(String payload, String header) {
        List<String> keys = secrets.map(s -> Arrays.stream(s.split(",")).map(String::trim)
                .filter(k -> !k.isEmpty()).toList()).orElse(List.of());
        if (header == null || keys.isEmpty()) {
            throw badSignature();
        }
        for (String key : keys) {
            try {
                Webhook.Signature.verifyHeader(payload, header, key, TOLERANCE_SECONDS);
                return;
            } catch (SignatureVerificationException | RuntimeException e) {
                // Try the next secret: during a rotation either may have signed. stripe-java reports a malformed
                // header (a timestamp that is not a number) as a plain runtime exception, which is bad input too.
            }
        }
        throw badSignature();
    }

    /** Applies an event that is not stale; {@code account} is the linked account, locked, if there is one. */
    private String apply(String type, JsonNode object, Account account) {
        if (type.equals("checkout.session.completed")) {
            return linkCheckout(object, idOf(object.path("customer")), idOf(object.path("subscription")));
        }
        if (!type.startsWith("customer.subscription.") && !type.startsWith("invoice.")) {
            return "ignored_type";
        }
        if (account == null) {
            return "unknown_customer";
        }
        switch (type) {
            case "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted" -> {
                String status = object.path("status").asText("");
                if (type.endsWith(".deleted") || ENDED.contains(status)) {
                    return changePlan(account, Plan.FREE.id(), "plan_free");
                }
                if (status.equals("active") || status.equals("trialing")) {
                    Optional<PlanLimits> plan = prices.planOfSubscription(object);
                    if (plan.isEmpty()) {
                        return "unknown_price";
                    }
                    account.graceUntil = null;
                    return changePlan(account, plan.get().id(), "plan_" + plan.get().id());
                }
                if (status.equals("past_due")) {
                    return startGrace(account);
                }
                return "ignored_status";
            }
            case "invoice.payment_failed" -> {
                return startGrace(account);
            }
            case "invoice.paid" -> {
                if (account.graceUntil != null) {
                    account.graceUntil = null;
                    audit.append(AuditLog.STRIPE, "billing.grace_cleared", account.slug, "account:" + account.slug,
                            AuditLog.OK, null);
                }
                return "grace_cleared";
            }
            default -> {
                return "ignored_type";
            }
        }
    }

    private String linkCheckout(JsonNode session, String customer, String subscription) {
        String slug = session.path("client_reference_id").asText(null);
        Account account = slug == null ? null : Account.bySlug(slug);
        if (account == null) {
            return "unknown_account";
        }
        lock(account);
        if (customer != null && Account.count("stripeCustomerId = ?1 and accountId <> ?2", customer,
                account.accountId) > 0) {
            return "customer_conflict";
        }
        account.stripeCustomerId = customer;
        account.stripeSubscriptionId = subscription;
        audit.append(AuditLog.STRIPE, "billing.link", account.slug, "customer:" + customer, AuditLog.OK,
                "subscription=" + subscription);
        return "linked";
    }

    private String changePlan(Account account, String planId, String outcome) {
        planService.change(account, planId, AuditLog.STRIPE);
        return outcome;
    }

    private String startGrace(Account account) {
        if (account.graceUntil == null) {
            account.graceUntil = UtcNow.get().plus(gracePeriod);
            audit.append(AuditLog.STRIPE, "billing.grace_started", account.slug, "account:" + account.slug, AuditLog.OK,
                    "until=" + account.graceUntil);
        }
        return "grace_started";
    }

    /** The creation time of the newest event applied to the subscription (0 if none). */
    private long newestApplied(String subscription) {
        List<?> newest = em.createNativeQuery(
                "select last_event_created from stripe_subscription where subscription_id = :subscription")
                .setParameter("subscription", subscription).getResultList();
        return newest.isEmpty() ? 0 : number(newest.get(0));
    }

    private void markApplied(String subscription, long accountId, long created) {
        em.createNativeQuery("""
                insert into stripe_subscription (subscription_id, account_id, last_event_created)
                values (:subscription, :account, :created)
                on conflict (subscription_id) do update
                   set last_event_created = greatest(stripe_subscription.last_event_created, excluded.last_event_created)""")
                .setParameter("subscription", subscription).setParameter("account", accountId)
                .setParameter("created", created).executeUpdate();
    }

    /** The subscription an event is about: the object itself, or (invoices) where this API version puts it. */
    private static String subscriptionOf(String type, JsonNode object) {
        if (type.startsWith("customer.subscription.")) {
            return object.path("id").asText(null);
        }
        String direct = idOf(object.path("subscription"));
        return direct != null ? direct
                : idOf(object.path("parent").path("subscription_details").path("subscription"));
    }

    /** The linked account, with its row lock held for the rest of the transaction. */
    private Account accountOf(String customer, String subscription) {
        Account account = customer == null ? null : Account.find("stripeCustomerId", customer).firstResult();
        if (account == null && subscription != null) {
            account = Account.find("stripeSubscriptionId", subscription).firstResult();
        }
        return account == null ? null : lock(account);
    }

    private Account lock(Account account) {
        em.refresh(account, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
        return account;
    }

    /** Stripe sends an id, or an expanded object carrying one. */
    private static String idOf(JsonNode field) {
        if (field.isTextual()) {
            return field.asText();
        }
        return field.isObject() ? field.path("id").asText(null) : null;
    }

    private static SluiceException badSignature() {
        return SluiceException.validation("Stripe-Signature", "The Stripe-Signature header does not verify.");
    }
}
