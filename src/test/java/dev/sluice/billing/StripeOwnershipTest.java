package dev.sluice.billing;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static dev.sluice.Api.serviceToken;
import static dev.sluice.Api.uniqueSlug;
import static dev.sluice.billing.StripeFixtures.LINK_SECRET;
import static dev.sluice.billing.StripeFixtures.checkout;
import static dev.sluice.billing.StripeFixtures.invoiceEvent;
import static dev.sluice.billing.StripeFixtures.linkedCustomer;
import static dev.sluice.billing.StripeFixtures.plan;
import static dev.sluice.billing.StripeFixtures.randomId;
import static dev.sluice.billing.StripeFixtures.reference;
import static dev.sluice.billing.StripeFixtures.send;
import static dev.sluice.billing.StripeFixtures.subscriptionEvent;
import static dev.sluice.billing.StripeFixtures.unlinkedCustomer;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.stripe.net.Webhook;

import dev.sluice.billing.StripeFixtures.Customer;
import dev.sluice.reconcile.ReconcileJob;
import io.quarkus.test.junit.QuarkusTest;

/** §7 "Who a Stripe event belongs to", with Stripe's own example objects. */
@QuarkusTest
class StripeOwnershipTest {

    /** The captured subscription's own created time (Stripe's, seconds). */
    static final long SINCE = 1_758_573_442L;

    @Inject
    ReconcileJob reconciler;

    @Test
    void onlyASignedReferenceLinksAnAccount() throws Exception {
        Customer c = unlinkedCustomer("free");
        String signature = Webhook.Util.computeHmacSha256(LINK_SECRET, c.slug()).substring(0, 16);
        String forged = Webhook.Util.computeHmacSha256("another-secret", c.slug()).substring(0, 16);
        for (String claim : new String[] { c.slug(), c.slug() + "." + forged, c.slug() + ".",
                c.slug() + "." + signature.toUpperCase() }) {
            send(checkout(claim, c.customer(), c.subscription(), 1_700_000_000L)).then().statusCode(200)
                    .body("outcome", equalTo("unverified"));
        }
        send(checkout("no-such-account." + signature, c.customer(), c.subscription(), 1_700_000_000L)).then()
                .body("outcome", equalTo("unknown_account"));
        asRoot().get("/admin/accounts/" + c.slug()).then().body("stripeCustomerId", nullValue());

        assertEquals(c.slug() + "." + signature, reference(c.slug()));
        send(checkout(c.slug() + "." + signature, c.customer(), c.subscription(), 1_700_000_000L)).then()
                .body("outcome", equalTo("linked"));
        asRoot().get("/admin/accounts/" + c.slug()).then().body("stripeCustomerId", equalTo(c.customer()));
        asRoot().queryParam("account", c.slug()).get("/admin/audit").then()
                .body("entries.findAll { it.action == 'billing.link' }.actor.tokenId", hasItem("stripe"));
    }

    @Test
    void theStripeReferenceIsForRootAndTheAccountsOwnServiceToken() throws Exception {
        String slug = uniqueSlug("ref");
        String own = serviceToken(slug);
        String other = serviceToken(uniqueSlug("ref-other"));
        String expected = slug + "." + Webhook.Util.computeHmacSha256(LINK_SECRET, slug).substring(0, 16);
        asRoot().get("/admin/accounts/" + slug + "/stripe-reference").then().statusCode(200)
                .body("reference", equalTo(expected));
        as(own).get("/admin/accounts/" + slug + "/stripe-reference").then().statusCode(200)
                .body("reference", equalTo(expected));
        as(other).get("/admin/accounts/" + slug + "/stripe-reference").then().statusCode(403)
                .body("code", equalTo("FORBIDDEN"));
        given().get("/admin/accounts/" + slug + "/stripe-reference").then().statusCode(401);
        asRoot().get("/admin/accounts/nobody-here/stripe-reference").then().statusCode(404)
                .body("code", equalTo("NOT_FOUND"));
    }

    @Test
    void aCheckoutCannotMoveALinkedAccountToAnotherCustomer() throws Exception {
        Customer victim = linkedCustomer("free");
        send(subscriptionEvent(victim, randomId("evt_"), "active", 1_800_000_000L)).then()
                .body("outcome", equalTo("plan_pro"));
        Customer attacker = new Customer(victim.slug(), randomId("cus_"), randomId("sub_"));
        send(checkout(reference(victim.slug()), attacker.customer(), attacker.subscription(), 1_800_000_100L))
                .then().statusCode(200).body("outcome", equalTo("conflict"));
        // The attacker's subscription then ends: it is nobody's, so the victim keeps its plan.
        send(subscriptionEvent("customer.subscription.deleted", attacker, "canceled", 1_800_000_200L, SINCE))
                .then().body("outcome", equalTo("unknown_customer"));
        asRoot().get("/admin/accounts/" + victim.slug()).then().body("stripeCustomerId", equalTo(victim.customer()))
                .body("plan", equalTo("pro"));
        asRoot().queryParam("account", victim.slug()).get("/admin/audit").then()
                .body("entries.find { it.action == 'billing.link' && it.outcome == 'conflict' }.target",
                        equalTo("customer:" + attacker.customer()));
        // Nor can a session link the victim's customer to another account.
        Customer other = unlinkedCustomer("free");
        send(checkout(reference(other.slug()), victim.customer(), victim.subscription(), 1_800_000_150L)).then()
                .body("outcome", equalTo("conflict"));
        asRoot().get("/admin/accounts/" + other.slug()).then().body("stripeCustomerId", nullValue());
        // The victim's own subscription still counts.
        send(subscriptionEvent("customer.subscription.deleted", victim, "canceled", 1_800_000_300L, SINCE))
                .then().body("outcome", equalTo("plan_free"));
    }

    @Test
    void aSessionWithoutACustomerLinksNothing() throws Exception {
        Customer fresh = unlinkedCustomer("free");
        send(checkout(reference(fresh.slug()), null, fresh.subscription(), 1_700_000_000L)).then()
                .body("outcome", equalTo("no_customer"));
        asRoot().get("/admin/accounts/" + fresh.slug()).then().body("stripeCustomerId", nullValue());

        Customer linked = linkedCustomer("free");
        send(checkout(reference(linked.slug()), null, null, 1_700_000_100L)).then()
                .body("outcome", equalTo("no_customer"));
        send(subscriptionEvent(linked, randomId("evt_"), "active", 1_800_000_000L)).then()
                .body("outcome", equalTo("plan_pro"));
        asRoot().get("/admin/accounts/" + linked.slug()).then().body("stripeCustomerId", equalTo(linked.customer()));
    }

    @Test
    void eventsOfAnotherSubscriptionOfTheCustomerChangeNothing() throws Exception {
        Customer c = linkedCustomer("free");
        send(subscriptionEvent(c, randomId("evt_"), "active", 1_800_000_000L)).then()
                .body("outcome", equalTo("plan_pro"));
        Customer older = new Customer(c.slug(), c.customer(), randomId("sub_"));
        String[] others = {
                // Created after the checkout that linked the account, but before the linked subscription itself.
                starter(subscriptionEvent("customer.subscription.updated", older, "active", 1_800_000_100L,
                        SINCE - 1000)),
                subscriptionEvent("customer.subscription.updated", older, "past_due", 1_800_000_200L, SINCE + 60),
                subscriptionEvent("customer.subscription.deleted", older, "canceled", 1_800_000_300L, SINCE + 60),
                invoiceEvent("invoice.payment_failed", older, 1_800_000_400L) };
        for (String other : others) {
            send(other).then().statusCode(200).body("outcome", equalTo("other_subscription"));
        }
        assertEquals("pro", plan(c.slug()));
        reconciler.runOnce();
        assertEquals("pro", plan(c.slug()), "no grace was started by the other subscription's invoice");
    }

    @Test
    void aNewerSubscriptionOfTheSameCustomerTakesOver() throws Exception {
        Customer c = linkedCustomer("free");
        send(subscriptionEvent(c, randomId("evt_"), "active", 1_800_000_000L)).then()
                .body("outcome", equalTo("plan_pro"));
        Customer moved = new Customer(c.slug(), c.customer(), randomId("sub_"));
        send(starter(subscriptionEvent("customer.subscription.created", moved, "active", 1_800_000_100L,
                SINCE + 3600))).then().body("outcome", equalTo("plan_starter"));
        // Stripe then deletes the old subscription: the customer moved, so they keep the new one's plan.
        send(subscriptionEvent("customer.subscription.deleted", c, "canceled", 1_800_000_200L, SINCE)).then()
                .body("outcome", equalTo("other_subscription"));
        assertEquals("starter", plan(c.slug()));
        send(subscriptionEvent("customer.subscription.deleted", moved, "canceled", 1_800_000_300L, SINCE + 3600))
                .then().body("outcome", equalTo("plan_free"));
    }

    @Test
    void aSubscriptionEventBeforeItsCheckoutIsAppliedWhenTheCheckoutLinks() throws Exception {
        Customer c = unlinkedCustomer("free");
        String later = subscriptionEvent("customer.subscription.updated", c, "active", 1_800_000_010L, SINCE);
        String earlier = subscriptionEvent("customer.subscription.created", c, "incomplete_expired", 1_800_000_000L,
                SINCE);
        send(later).then().body("outcome", equalTo("unknown_customer"));
        send(earlier).then().body("outcome", equalTo("unknown_customer"));
        assertEquals("free", plan(c.slug()));

        send(checkout(reference(c.slug()), c.customer(), c.subscription(), 1_800_000_020L)).then()
                .body("outcome", equalTo("linked"));
        assertEquals("pro", plan(c.slug()));
        // Applied by created time, not by arrival: the earlier one is applied first, so neither is stale.
        assertEquals("plan_free", outcomeOf(earlier));
        assertEquals("plan_pro", outcomeOf(later));
    }

    @Test
    void anEventRacingTheCheckoutThatLinksItsCustomerIsNeverLost() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 5; round++) {
                Customer c = unlinkedCustomer("free");
                String subscription = subscriptionEvent("customer.subscription.created", c, "active",
                        1_800_000_000L, SINCE);
                String session = checkout(reference(c.slug()), c.customer(), c.subscription(), 1_800_000_001L);
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Integer>> sent = List.of(subscription, session).stream()
                        .map(body -> pool.submit(() -> {
                            start.await();
                            return send(body).statusCode();
                        })).toList();
                start.countDown();
                for (Future<Integer> status : sent) {
                    assertEquals(200, status.get(30, TimeUnit.SECONDS));
                }
                assertEquals("pro", plan(c.slug()), "round " + round);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void eventsOfTheSameSecondDoNotFlipThePlanBack() throws Exception {
        Customer c = linkedCustomer("free");
        send(subscriptionEvent(c, randomId("evt_"), "active", 1_800_000_000L)).then()
                .body("outcome", equalTo("plan_pro"));
        send(subscriptionEvent(c, randomId("evt_"), "canceled", 1_800_000_000L)).then()
                .body("outcome", equalTo("stale"));
        assertEquals("pro", plan(c.slug()));
        // Invoice events are ordered on their own: an older invoice is not stale against a subscription event.
        send(invoiceEvent("invoice.payment_failed", c, 1_799_999_990L)).then()
                .body("outcome", equalTo("grace_started"));
        send(invoiceEvent("invoice.paid", c, 1_799_999_990L)).then().body("outcome", equalTo("stale"));
    }

    @Test
    void graceRunsFromWhenThePaymentFailedNotFromWhenStripeToldUs() throws Exception {
        long now = System.currentTimeMillis() / 1000;
        Customer overdue = linkedCustomer("pro");
        send(invoiceEvent("invoice.payment_failed", overdue, now - 73 * 3600)).then()
                .body("outcome", equalTo("grace_started"));
        Customer inGrace = linkedCustomer("pro");
        send(invoiceEvent("invoice.payment_failed", inGrace, now - 71 * 3600)).then()
                .body("outcome", equalTo("grace_started"));
        reconciler.runOnce();
        assertEquals("free", plan(overdue.slug()));
        assertEquals("pro", plan(inGrace.slug()));
    }

    @Test
    void rootsRelinkAppliesTheCustomersKeptEventsAndNullUnlinks() throws Exception {
        Customer c = unlinkedCustomer("free");
        String kept = subscriptionEvent("customer.subscription.created", c, "active", 1_800_000_000L, SINCE);
        send(kept).then().body("outcome", equalTo("unknown_customer"));

        asRoot().body(Map.of("stripeCustomerId", c.customer())).patch("/admin/accounts/" + c.slug()).then()
                .statusCode(200).body("stripeCustomerId", equalTo(c.customer())).body("plan", equalTo("pro"));
        assertEquals("plan_pro", outcomeOf(kept));
        asRoot().body(Map.of("name", "Renamed")).patch("/admin/accounts/" + c.slug()).then().statusCode(200)
                .body("stripeCustomerId", equalTo(c.customer()));
        // The kept event linked its subscription, so the subscription's own end applies.
        send(subscriptionEvent("customer.subscription.deleted", c, "canceled", 1_800_000_100L, SINCE)).then()
                .body("outcome", equalTo("plan_free"));

        for (Map<String, Object> bad : List.<Map<String, Object>>of(Map.of("setsStripeCustomer", true),
                Map.of("stripeCustomerId", 42), Map.of("stripeCustomerId", "c".repeat(256)))) {
            asRoot().body(bad).patch("/admin/accounts/" + c.slug()).then().statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED"));
        }
        Map<String, Object> unlink = new HashMap<>();
        unlink.put("stripeCustomerId", null);
        asRoot().body(unlink).patch("/admin/accounts/" + c.slug()).then().statusCode(200)
                .body("stripeCustomerId", nullValue());
        send(subscriptionEvent(c, randomId("evt_"), "active", 1_800_000_200L)).then()
                .body("outcome", equalTo("unknown_customer"));
        assertEquals("free", plan(c.slug()));
    }

    private static String starter(String subscriptionEvent) {
        return subscriptionEvent.replace("price_1SAFNkBe0ycHroRBidLX2jgZ", "price_starter_test");
    }

    private static String outcomeOf(String event) throws Exception {
        String id = StripeFixtures.JSON.readTree(event).path("id").asText();
        return asRoot().get("/admin/stripe/events").then().statusCode(200).extract()
                .path("events.find { it.id == '" + id + "' }.outcome");
    }
}
