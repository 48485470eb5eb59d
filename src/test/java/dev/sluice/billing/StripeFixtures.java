package dev.sluice.billing;

import static dev.sluice.Api.asRoot;
import static dev.sluice.Api.createAccount;
import static dev.sluice.Api.uniqueSlug;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.stripe.net.Webhook;

import io.restassured.response.Response;

/** Stripe's own example objects (../shared/spec/stripe), re-addressed to test customers and signed as Stripe does. */
public final class StripeFixtures {

    static final String SECRET = "whsec_test_current";
    static final String NEXT_SECRET = "whsec_test_next";
    /** The test profile's STRIPE_LINK_SECRET. */
    static final String LINK_SECRET = "test-link-secret";
    static final Path SPEC = Path.of("../shared/spec/stripe");
    static final ObjectMapper JSON = new ObjectMapper();

    record Customer(String slug, String customer, String subscription) {
    }

    private StripeFixtures() {
    }

    static String randomId(String prefix) {
        return prefix + UUID.randomUUID().toString().replace("-", "");
    }

    /** A new account on the plan, with a Stripe customer and subscription that nothing has linked yet. */
    static Customer unlinkedCustomer(String plan) {
        String slug = uniqueSlug("stripe");
        createAccount(slug, Map.of("plan", plan));
        return new Customer(slug, randomId("cus_"), randomId("sub_"));
    }

    /** An account linked to a Stripe customer through checkout.session.completed, then put on a plan by root. */
    static Customer linkedCustomer(String plan) throws Exception {
        Customer c = unlinkedCustomer(plan);
        send(checkout(reference(c.slug()), c.customer(), c.subscription(), 1_700_000_000L)).then().statusCode(200)
                .body("outcome", equalTo("linked"));
        asRoot().get("/admin/accounts/" + c.slug()).then().body("stripeCustomerId", equalTo(c.customer()));
        return c;
    }

    /** The signed client_reference_id of the account, as its owner gets it. */
    public static String reference(String slug) {
        return asRoot().get("/admin/accounts/" + slug + "/stripe-reference").then().statusCode(200).extract()
                .path("reference");
    }

    public static String checkout(String clientReferenceId, String customer, String subscription, long created)
            throws Exception {
        ObjectNode session = (ObjectNode) JSON.readTree(Files.readString(SPEC.resolve("checkout.session.json")));
        session.put("client_reference_id", clientReferenceId).put("customer", customer)
                .put("subscription", subscription).put("status", "complete");
        return event("checkout.session.completed", session, created);
    }

    /** The real captured customer.subscription.updated (a Pro price), re-addressed to this customer. */
    static String subscriptionEvent(Customer c, String id, String status, long created) throws Exception {
        ObjectNode event = (ObjectNode) JSON.readTree(
                Files.readString(SPEC.resolve("customer.subscription.updated.basil-2025-08-27.json")));
        event.put("id", id).put("created", created);
        ObjectNode object = (ObjectNode) event.path("data").path("object");
        object.put("id", c.subscription()).put("customer", c.customer()).put("status", status);
        return JSON.writeValueAsString(event);
    }

    /** The same as {@code type}, for a subscription Stripe created at {@code since}. */
    static String subscriptionEvent(String type, Customer c, String status, long created, long since)
            throws Exception {
        ObjectNode event = (ObjectNode) JSON.readTree(subscriptionEvent(c, randomId("evt_"), status, created));
        event.put("type", type);
        ((ObjectNode) event.path("data").path("object")).put("created", since);
        return JSON.writeValueAsString(event);
    }

    static ObjectNode subscriptionObject(Customer c, String status) throws Exception {
        ObjectNode object = (ObjectNode) JSON.readTree(Files.readString(SPEC.resolve("subscription.json")));
        return object.put("id", c.subscription()).put("customer", c.customer()).put("status", status);
    }

    /** Stripe's invoice.json for this customer's subscription (where API version basil puts it). */
    static String invoiceEvent(String type, Customer c, long created) throws Exception {
        ObjectNode invoice = (ObjectNode) JSON.readTree(Files.readString(SPEC.resolve("invoice.json")));
        invoice.put("customer", c.customer());
        ((ObjectNode) invoice.at("/parent/subscription_details")).put("subscription", c.subscription());
        return event(type, invoice, created);
    }

    static String event(String type, ObjectNode object, long created) throws Exception {
        ObjectNode event = (ObjectNode) JSON.readTree(Files.readString(SPEC.resolve("event.json")));
        event.put("id", randomId("evt_")).put("type", type).put("created", created);
        ((ObjectNode) event.path("data")).set("object", object);
        ((ObjectNode) event.path("data")).remove("previous_attributes");
        return JSON.writeValueAsString(event);
    }

    public static Response send(String payload) throws Exception {
        return given().contentType("application/json")
                .header("Stripe-Signature", Webhook.Signature.generateSignatureHeader(payload, SECRET)).body(payload)
                .post("/webhooks/stripe");
    }

    static String plan(String slug) {
        return asRoot().get("/admin/accounts/" + slug).then().statusCode(200).extract().path("plan");
    }
}
