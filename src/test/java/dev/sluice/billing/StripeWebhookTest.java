package dev.sluice.billing;

import static dev.sluice.Api.asRoot;
import static dev.sluice.billing.StripeFixtures.JSON;
import static dev.sluice.billing.StripeFixtures.NEXT_SECRET;
import static dev.sluice.billing.StripeFixtures.SECRET;
import static dev.sluice.billing.StripeFixtures.SPEC;
import static dev.sluice.billing.StripeFixtures.event;
import static dev.sluice.billing.StripeFixtures.invoiceEvent;
import static dev.sluice.billing.StripeFixtures.linkedCustomer;
import static dev.sluice.billing.StripeFixtures.randomId;
import static dev.sluice.billing.StripeFixtures.send;
import static dev.sluice.billing.StripeFixtures.subscriptionEvent;
import static dev.sluice.billing.StripeFixtures.subscriptionObject;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.stripe.net.Webhook;

import dev.sluice.billing.StripeFixtures.Customer;
import dev.sluice.reconcile.ReconcileJob;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;

/** Real-shaped Stripe events (../shared/spec/stripe), signed with stripe-java as Stripe signs them. */
@QuarkusTest
class StripeWebhookTest {

    @Inject
    AgroalDataSource db;
    @Inject
    ReconcileJob reconciler;

    @Test
    void plansArePublishedWithoutAuth() {
        given().get("/api/plans").then().statusCode(200).body("plans", hasSize(3))
                .body("plans[0].id", equalTo("free")).body("plans[0].tunnels", equalTo(1))
                .body("plans[0].inactivityTimeoutSeconds", equalTo(7200))
                .body("plans[0].bytesPer7d", equalTo(5_368_709_120L))
                .body("plans[0].sessionSecondsPer24h", equalTo(7200))
                .body("plans[2].id", equalTo("pro")).body("plans[2].passwordTunnels", equalTo(null))
                .body("plans[2].reservedSubdomains", equalTo(10)).body("plans[2].requestsPerMinute", equalTo(1000))
                .body("plans[2].workers", equalTo(1)).body("plans[2].stripe.lookupKeys", hasItem("pro"))
                .body("plans[2].stripe.priceIds", hasItem("price_1SAFNkBe0ycHroRBidLX2jgZ"));
    }

    @Test
    void badSignaturesAre400AndChangeNothing() throws Exception {
        Customer c = linkedCustomer("free");
        String event = subscriptionEvent(c, "evt_" + UUID.randomUUID(), "active", 1_800_000_000L);
        long now = System.currentTimeMillis() / 1000;
        String[] headers = { null, "garbage", "t=abc,v1=zz", "v1=", "t=,v1=,v0=", "t=99999999999999999999,v1=ab",
                Webhook.Signature.generateSignatureHeader(event, "whsec_wrong"),
                Webhook.Signature.generateSignatureHeader(event, SECRET, now - 400) };
        for (String header : headers) {
            var request = given().contentType("application/json").body(event);
            if (header != null) {
                request.header("Stripe-Signature", header);
            }
            request.post("/webhooks/stripe").then().statusCode(400).body("code", equalTo("VALIDATION_FAILED"));
        }
        String tampered = event.replace("\"active\"", "\"trialing\"");
        given().contentType("application/json").header("Stripe-Signature",
                Webhook.Signature.generateSignatureHeader(event, SECRET)).body(tampered).post("/webhooks/stripe")
                .then().statusCode(400);
        asRoot().get("/admin/accounts/" + c.slug()).then().body("plan", equalTo("free"));
    }

    @Test
    void subscriptionsMovePlansOnceEachAndInOrder() throws Exception {
        Customer c = linkedCustomer("free");
        String upgrade = subscriptionEvent(c, "evt_" + UUID.randomUUID(), "active", 1_800_000_100L);
        // Rotation: the header carries a v1 for the old secret and one for the new; either verifies.
        long t = System.currentTimeMillis() / 1000;
        String header = Webhook.Signature.generateSignatureHeader(upgrade, "whsec_retired", t) + ",v1="
                + Webhook.Util.computeHmacSha256(NEXT_SECRET, t + "." + upgrade);
        given().contentType("application/json").header("Stripe-Signature", header).body(upgrade)
                .post("/webhooks/stripe").then().statusCode(200).body("outcome", equalTo("plan_pro"));
        asRoot().get("/admin/accounts/" + c.slug()).then().body("plan", equalTo("pro"));

        send(upgrade).then().statusCode(200).body("outcome", equalTo("duplicate"));
        String older = subscriptionEvent(c, "evt_" + UUID.randomUUID(), "canceled", 1_800_000_000L);
        send(older).then().statusCode(200).body("outcome", equalTo("stale"));
        asRoot().get("/admin/accounts/" + c.slug()).then().body("plan", equalTo("pro"));

        String deleted = event("customer.subscription.deleted", subscriptionObject(c, "canceled"), 1_800_000_200L);
        send(deleted).then().statusCode(200).body("outcome", equalTo("plan_free"));
        asRoot().get("/admin/accounts/" + c.slug()).then().body("plan", equalTo("free"));
        asRoot().queryParam("account", c.slug()).get("/admin/audit").then()
                .body("entries.findAll { it.action == 'plan.change' }.actor.tokenId", hasItem("stripe"));
    }

    @Test
    void pricesMapByLookupKeyOrMetadataAndTheHighestPlanWins() throws Exception {
        Customer c = linkedCustomer("free");
        ObjectNode byLookupKey = (ObjectNode) JSON.readTree(subscriptionEvent(c, "evt_" + UUID.randomUUID(), "active",
                1_800_000_100L));
        ObjectNode item = (ObjectNode) byLookupKey.at("/data/object/items/data/0");
        ((ObjectNode) item.path("price")).put("id", "price_other").put("lookup_key", "starter");
        send(JSON.writeValueAsString(byLookupKey)).then().body("outcome", equalTo("plan_starter"));

        ObjectNode twoItems = (ObjectNode) JSON.readTree(subscriptionEvent(c, "evt_" + UUID.randomUUID(), "trialing",
                1_800_000_200L));
        com.fasterxml.jackson.databind.node.ArrayNode items = (com.fasterxml.jackson.databind.node.ArrayNode)
                twoItems.at("/data/object/items/data");
        ((ObjectNode) items.get(0).path("price")).put("id", "price_x").put("lookup_key", "starter");
        ObjectNode second = items.get(0).deepCopy();
        ((ObjectNode) second.path("price")).put("id", "price_y").putNull("lookup_key");
        ((ObjectNode) second.path("price").path("metadata")).put("plan", "pro");
        items.add(second);
        send(JSON.writeValueAsString(twoItems)).then().body("outcome", equalTo("plan_pro"));
        asRoot().get("/admin/accounts/" + c.slug()).then().body("plan", equalTo("pro"));

        ObjectNode unknown = (ObjectNode) JSON.readTree(subscriptionEvent(c, "evt_" + UUID.randomUUID(), "active",
                1_800_000_300L));
        ((ObjectNode) unknown.at("/data/object/items/data/0/price")).put("id", "price_nobody_knows");
        send(JSON.writeValueAsString(unknown)).then().body("outcome", equalTo("unknown_price"));
        send(subscriptionEvent(c, "evt_" + UUID.randomUUID(), "unpaid", 1_800_000_250L)).then()
                .body("outcome", equalTo("plan_free"));
        asRoot().get("/admin/accounts/" + c.slug()).then().body("plan", equalTo("free"));
    }

    @Test
    void aRefusedDeliveryLeavesNoTraceSoTheGoodOneIsApplied() throws Exception {
        Customer c = linkedCustomer("free");
        String event = subscriptionEvent(c, "evt_" + UUID.randomUUID(), "active", 1_800_000_100L);
        given().contentType("application/json").header("Stripe-Signature",
                Webhook.Signature.generateSignatureHeader(event, "whsec_wrong")).body(event).post("/webhooks/stripe")
                .then().statusCode(400);
        send(event).then().statusCode(200).body("outcome", equalTo("plan_pro"));
    }

    @Test
    void aFailedPaymentStartsGraceThatEndsInFreeUnlessAnInvoiceIsPaid() throws Exception {
        Customer late = linkedCustomer("pro");
        send(subscriptionEvent(late, "evt_" + UUID.randomUUID(), "past_due", 1_800_000_300L)).then()
                .body("outcome", equalTo("grace_started"));
        asRoot().get("/admin/accounts/" + late.slug()).then().body("plan", equalTo("pro"));
        expireGrace(late.slug());
        reconciler.runOnce();
        asRoot().get("/admin/accounts/" + late.slug()).then().body("plan", equalTo("free"));
        asRoot().queryParam("account", late.slug()).get("/admin/audit").then()
                .body("entries.findAll { it.action == 'plan.change' }.actor.tokenId", hasItem("reconciler"));

        Customer paying = linkedCustomer("pro");
        long now = System.currentTimeMillis() / 1000;
        send(invoiceEvent("invoice.payment_failed", paying, now)).then().body("outcome", equalTo("grace_started"));
        send(invoiceEvent("invoice.paid", paying, now + 1)).then().body("outcome", equalTo("grace_cleared"));
        expireGrace(paying.slug());
        reconciler.runOnce();
        asRoot().get("/admin/accounts/" + paying.slug()).then().body("plan", equalTo("pro"));
    }

    @Test
    void stripeBodiesMayBeLargerButNotAboveOneMebibyte() throws Exception {
        ObjectNode big = (ObjectNode) JSON.readTree(Files.readString(SPEC.resolve("event.json")));
        big.put("id", "evt_" + UUID.randomUUID()).put("padding", "x".repeat(200_000));
        send(JSON.writeValueAsString(big)).then().statusCode(200).body("outcome", equalTo("ignored_type"));
        big.put("padding", "x".repeat(1_100_000));
        send(JSON.writeValueAsString(big)).then().statusCode(413).body("code", equalTo("PAYLOAD_TOO_LARGE"));
    }

    @Test
    void unknownCustomersAndTypesAreRecordedForRoot() throws Exception {
        Customer stranger = new Customer("nobody", randomId("cus_unknown_"), "sub_unknown");
        String unknown = subscriptionEvent(stranger, "evt_" + UUID.randomUUID(), "active", 1_800_000_000L);
        send(unknown).then().statusCode(200).body("outcome", equalTo("unknown_customer"));
        String plan = Files.readString(SPEC.resolve("event.json"));
        send(plan).then().statusCode(200).body("outcome", equalTo("ignored_type"));
        asRoot().get("/admin/stripe/events").then().statusCode(200)
                .body("events.find { it.customer == '" + stranger.customer() + "' }.outcome",
                        equalTo("unknown_customer"))
                .body("events.find { it.type == 'plan.created' }.outcome", equalTo("ignored_type"));
        given().get("/admin/stripe/events").then().statusCode(401);
    }

    private void expireGrace(String slug) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "update account set grace_until = now() - interval '1 minute' where slug = ? and grace_until is not null")) {
            s.setString(1, slug);
            s.executeUpdate();
        }
    }

}
