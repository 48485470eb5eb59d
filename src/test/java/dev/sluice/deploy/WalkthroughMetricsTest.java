package dev.sluice.deploy;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static dev.sluice.Api.createAccount;
import static dev.sluice.Api.uniqueSlug;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sluice.billing.StripeFixtures;
import dev.sluice.reconcile.ReconcileJob;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The domain metrics move as the README's five-minute walkthrough runs: /q/metrics read before and after the same
 * steps (an account and its tokens, a tunnel leased and closed, a Stripe checkout, a downgrade the reconciler makes
 * fit, a scheduled reconciler round, a bad token). Other work of the service may add to the counters meanwhile, so
 * each is checked to have grown by at least the walkthrough's share.
 */
@QuarkusTest
class WalkthroughMetricsTest {

    @TestHTTPResource(value = "/", management = true)
    URL management;
    @Inject
    ReconcileJob reconciler;

    @Test
    void theWalkthroughMovesTheMetricsOperatorsWatch() throws Exception {
        Scrape before = Scrape.of(management);

        String slug = uniqueSlug("acme");
        String service = createAccount(slug, Map.of("plan", "pro", "dayUsd", 5, "monthUsd", 50)).path("serviceToken");
        String api = as(service).body(Map.of("kind", "api", "name", "edge-1")).post("/admin/accounts/" + slug
                + "/tokens").then().statusCode(201).extract().path("token");
        String tunnel = as(api).body(Map.of("subdomain", slug + "-demo")).post("/v1/tunnels").then().statusCode(201)
                .extract().path("id");
        as(api).body(Map.of("consumed", 0, "want", 50)).post("/v1/tunnels/" + tunnel + "/lease").then()
                .statusCode(200);
        as(api).body(Map.of("consumed", 50, "bytesIn", 2048, "bytesOut", 512)).post("/v1/tunnels/" + tunnel
                + "/lease").then().statusCode(200);
        as(api).get("/v1/usage").then().statusCode(200);
        as(api).body(Map.of("consumed", 20)).post("/v1/tunnels/" + tunnel + "/close").then().statusCode(200);
        as(service).body(Map.of("name", slug + "-kept")).post("/v1/subdomains").then().statusCode(201);
        // Two tunnels open: the move to free (one tunnel, no reserved name) closes the older and releases the name.
        as(api).body(Map.of()).post("/v1/tunnels").then().statusCode(201);
        as(api).body(Map.of()).post("/v1/tunnels").then().statusCode(201);
        StripeFixtures.send(StripeFixtures.checkout(StripeFixtures.reference(slug), "cus_" + slug, "sub_" + slug,
                1_790_000_000L)).then().statusCode(200).body("outcome", equalTo("linked"));
        asRoot().body(Map.of("plan", "free")).put("/admin/accounts/" + slug + "/plan").then().statusCode(200);
        reconciler.runOnce();
        as("vta_" + slug + "_not-a-token").get("/v1/usage").then().statusCode(401);

        Scrape after = Scrape.of(management);
        for (var grown : List.of(
                Map.entry("sluice_registrations_total{outcome=\"registered\"}", 3.0),
                Map.entry("sluice_leases_total{outcome=\"ok\"}", 2.0),
                Map.entry("sluice_credits_total{kind=\"granted\"}", 50.0),
                Map.entry("sluice_credits_total{kind=\"consumed\"}", 50.0),
                Map.entry("sluice_credits_total{kind=\"returned\"}", 1.0),
                Map.entry("sluice_settlement_batch_size_count", 2.0),
                Map.entry("sluice_settlement_duration_seconds_count", 2.0),
                Map.entry("sluice_stripe_events_total{outcome=\"linked\"}", 1.0),
                Map.entry("sluice_reconciler_actions_total{action=\"tunnel_closed\"}", 1.0),
                Map.entry("sluice_reconciler_actions_total{action=\"subdomain_released\"}", 1.0),
                Map.entry("sluice_reconciler_runs_total{outcome=\"ok\"}", 1.0),
                Map.entry("sluice_auth_failures_total{reason=\"malformed\"}", 1.0))) {
            double by = after.value(grown.getKey()) - before.value(grown.getKey());
            assertTrue(by >= grown.getValue(), grown.getKey() + " grew by " + by + ", not " + grown.getValue());
        }
    }
}
