package dev.sluice.credit;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;

/**
 * Contract §11 through HTTP: a prepaid account spends what its grants hold, drawn in the contract's order, with a
 * ledger whose entries sum to the balance; the balance binds leases (429 scope balance); a deficit stays within the
 * overshoot bound and the next grant repays it; grants expire and are voided under leased credits without
 * stranding them.
 */
@QuarkusTest
class PrepaidCreditTest {

    @Inject
    AgroalDataSource db;
    @Inject
    GrantMoments moments;

    /** A prepaid account with an api token. */
    record Prepaid(String slug, String service, String api) {

        static Prepaid create(String prefix, Map<String, Object> fields) {
            String slug = Api.uniqueSlug(prefix);
            String service = Api.createAccount(slug, fields).path("serviceToken");
            asRoot().body(Map.of("funding", "prepaid")).patch("/admin/accounts/" + slug).then().statusCode(200)
                    .body("funding", equalTo("prepaid"));
            // An endpoint for the balance's events, so the outbox keeps them.
            as(service).body(Map.of("url", "https://9.9.9.9/hook", "events",
                    List.of("balance.low", "balance.depleted", "grant.expired"))).post("/admin/accounts/" + slug
                    + "/webhooks").then().statusCode(201);
            return new Prepaid(slug, service, Api.apiToken(slug, service));
        }

        String grant(Map<String, Object> body) {
            return asRoot().body(body).post("/admin/accounts/" + slug + "/grants").then().statusCode(201)
                    .extract().path("id");
        }

        Response register() {
            return as(api).body(Map.of()).post("/v1/tunnels");
        }

        Response lease(String tunnel, long consumed, Long want) {
            Map<String, Object> body = new HashMap<>();
            body.put("consumed", consumed);
            if (want != null) {
                body.put("want", want);
            }
            return as(api).body(body).post("/v1/tunnels/" + tunnel + "/lease");
        }

        JsonPath usage() {
            return as(service).get("/v1/usage").then().statusCode(200).extract().jsonPath();
        }

        /** The whole ledger, oldest first. */
        List<Map<String, Object>> ledger() {
            return as(service).queryParam("order", "asc").queryParam("limit", 1000)
                    .get("/admin/accounts/" + slug + "/ledger").then().statusCode(200).extract().path("entries");
        }
    }

    private static Map<String, Object> grant(long credits, String category, int priority, Instant expiresAt) {
        Map<String, Object> body = new HashMap<>(Map.of("credits", credits, "category", category, "priority",
                priority));
        if (expiresAt != null) {
            body.put("expiresAt", expiresAt.toString());
        }
        return body;
    }

    @Test
    void consumptionIsDrawnInTheContractsOrderAndTheLedgerSumsToTheBalance() {
        Prepaid account = Prepaid.create("prepaid-order", Map.of("dayLimit", 1_000_000, "leaseChunk", 100));
        Instant soon = Instant.now().plusSeconds(86_400);
        Instant later = Instant.now().plusSeconds(2 * 86_400);
        String paidNoExpiry = account.grant(grant(100, "paid", 50, null));
        String promoNoExpiry = account.grant(grant(100, "promotional", 50, null));
        String paidFirst = account.grant(grant(100, "paid", 10, null));
        String paidLater = account.grant(grant(100, "paid", 50, later));
        String promoSoon = account.grant(grant(100, "promotional", 50, soon));
        String tunnel = account.register().then().statusCode(201).extract().path("id");
        // Registration's credit comes from the lowest priority number; each lease holds 100 (the last one the 99 left)
        // and then reports it.
        for (int i = 0; i < 5; i++) {
            account.lease(tunnel, i == 0 ? 0 : 100, 100L).then().statusCode(200)
                    .body("granted", equalTo(i < 4 ? 100 : 99));
        }
        // The last report spends the balance: it is billed, and the answer says nothing more is available.
        account.lease(tunnel, 99, 0L).then().statusCode(429).body("scope", equalTo("balance"));
        List<Object> drawnFrom = new ArrayList<>();
        for (Map<String, Object> entry : account.ledger()) {
            if ("consume".equals(entry.get("kind")) && !drawnFrom.contains(entry.get("grantId"))) {
                drawnFrom.add(entry.get("grantId"));
            }
        }
        assertEquals(List.of(paidFirst, promoSoon, paidLater, promoNoExpiry, paidNoExpiry), drawnFrom,
                "priority, soonest expiry (none last), promotional before paid, oldest");
        JsonPath usage = account.usage();
        assertEquals(0, usage.getLong("balance.remaining"), "500 granted, 500 consumed");
        assertEquals(ledgerSum(account), usage.getLong("balance.remaining"));
        assertEquals(500, usage.getLong("day.used"));
    }

    @Test
    void theBalanceBindsLeasesWithScopeBalanceAndANewGrantLiftsIt() {
        Prepaid account = Prepaid.create("prepaid-429", Map.of("dayLimit", 1_000_000, "leaseChunk", 50, "plan",
                "pro"));
        account.grant(grant(100, "paid", 50, null));
        String tunnel = account.register().then().statusCode(201).extract().path("id");
        account.lease(tunnel, 0, null).then().statusCode(200).body("granted", equalTo(50));
        account.lease(tunnel, 0, null).then().statusCode(200).body("granted", equalTo(49)).body("held", equalTo(99));
        account.lease(tunnel, 0, null).then().statusCode(429).body("code", equalTo("QUOTA_EXCEEDED"))
                .body("scope", equalTo("balance")).body("retryAfter", equalTo(3600));
        account.usage();
        as(account.service()).get("/v1/usage").then().body("balance.available", equalTo(0))
                .body("balance.held", equalTo(99)).body("balance.remaining", equalTo(99))
                .body("balance.nextExpiry", nullValue());
        // A grant scheduled in two minutes: the 429 says when it takes effect.
        Map<String, Object> scheduled = grant(500, "paid", 50, null);
        scheduled.put("effectiveAt", Instant.now().plusSeconds(120).toString());
        account.grant(scheduled);
        account.lease(tunnel, 0, null).then().statusCode(429).body("scope", equalTo("balance"))
                .body("retryAfter", lessThanOrEqualTo(120));
        account.grant(grant(30, "promotional", 50, null));
        // 129 granted in all, 10 of the 99 held reported: 119 left, 89 held, 30 available.
        account.lease(tunnel, 10, null).then().statusCode(200).body("granted", equalTo(30));
        // A registration needs balance too.
        account.lease(tunnel, 0, null).then().statusCode(429);
        account.register().then().statusCode(429).body("scope", equalTo("balance"));
        assertEquals(ledgerSum(account), account.usage().getLong("balance.remaining"));
    }

    @Test
    void aDeficitStaysWithinTheOvershootBoundAndTheNextGrantRepaysIt() {
        Prepaid account = Prepaid.create("prepaid-deficit", Map.of("dayLimit", 1_000_000, "leaseChunk", 50,
                "concurrentMax", 1));
        String first = account.grant(grant(10, "paid", 50, null));
        String tunnel = account.register().then().statusCode(201).extract().path("id");
        account.lease(tunnel, 0, null).then().statusCode(200).body("granted", equalTo(9));
        // Held 9, reports 200: 9 billed from the grant, then overshoot (one chunk) as a deficit down to -50.
        account.lease(tunnel, 200, 0L).then().statusCode(429).body("scope", equalTo("balance"));
        JsonPath usage = account.usage();
        assertEquals(-50, usage.getLong("balance.remaining"));
        assertEquals(200 - 9 - 50, usage.getLong("day.unbilled"));
        List<Map<String, Object>> ledger = account.ledger();
        Map<String, Object> deficit = ledger.get(ledger.size() - 1);
        assertEquals("consume", deficit.get("kind"));
        assertEquals(null, deficit.get("grantId"));
        assertEquals(-50, ((Number) deficit.get("credits")).longValue());
        // Nothing more is billed while the balance is at the bound.
        account.lease(tunnel, 1_000, 0L).then().statusCode(429);
        assertEquals(-50, account.usage().getLong("balance.remaining"));
        // The next grant repays the deficit first.
        String second = account.grant(grant(80, "paid", 50, null));
        as(account.service()).get("/admin/accounts/" + account.slug() + "/grants").then().statusCode(200)
                .body("grants", hasSize(2)).body("grants.find { it.id == '" + second + "' }.remaining", equalTo(30))
                .body("grants.find { it.id == '" + first + "' }.remaining", equalTo(0));
        assertEquals(30, account.usage().getLong("balance.remaining"));
        assertEquals(ledgerSum(account), 30);
    }

    @Test
    void aGrantVoidedOrExpiringUnderLeasedCreditsNeverStrandsThem() throws Exception {
        Prepaid account = Prepaid.create("prepaid-void", Map.of("dayLimit", 1_000_000, "leaseChunk", 50,
                "concurrentMax", 2));
        String voided = account.grant(grant(101, "paid", 50, null));
        String tunnel = account.register().then().statusCode(201).extract().path("id");
        account.lease(tunnel, 0, null).then().statusCode(200).body("granted", equalTo(50));
        asRoot().post("/admin/accounts/" + account.slug() + "/grants/" + voided + "/void").then().statusCode(200)
                .body("grant.remaining", equalTo(0)).body("grant.voidedAt", org.hamcrest.Matchers.notNullValue());
        asRoot().post("/admin/accounts/" + account.slug() + "/grants/" + voided + "/void").then().statusCode(409)
                .body("code", equalTo("GRANT_VOIDED"));
        // The 50 held are honoured: spent, they are a deficit within the bound (50 x 2); nothing more is leased.
        account.lease(tunnel, 50, null).then().statusCode(429).body("scope", equalTo("balance"));
        assertEquals(-50, account.usage().getLong("balance.remaining"));
        // A grant that expires while credits are held: its expire entry takes what it still holds, once.
        account.grant(grant(100, "paid", 50, Instant.now().plusSeconds(2)));
        account.lease(tunnel, 0, null).then().statusCode(200).body("granted", equalTo(50));
        Thread.sleep(2_100);
        moments.run();
        account.lease(tunnel, 50, null).then().statusCode(429).body("scope", equalTo("balance"));
        JsonPath usage = account.usage();
        assertEquals(-50, usage.getLong("balance.remaining"));
        assertEquals(0, usage.getLong("balance.held"));
        assertEquals(ledgerSum(account), -50);
        List<Map<String, Object>> ledger = account.ledger();
        assertEquals(List.of("grant", "consume", "void", "consume", "grant", "expire", "consume"),
                ledger.stream().map(e -> e.get("kind")).toList());
        assertEquals(-50, ((Number) ledger.get(5).get("credits")).longValue(),
                "the expiring grant repaid the deficit of 50 first and held the other 50");
        assertEquals(1, events(account, "grant.expired"));
    }

    @Test
    void balanceAlertsAreSentOncePerCrossing() throws SQLException {
        Prepaid account = Prepaid.create("prepaid-alert", Map.of("dayLimit", 1_000_000, "leaseChunk", 50));
        String alert = "/admin/accounts/" + account.slug() + "/balance-alert";
        as(account.service()).get(alert).then().statusCode(200).body("belowCredits", nullValue());
        as(account.service()).body(Map.of("belowCredits", 60)).put(alert).then().statusCode(200)
                .body("belowCredits", equalTo(60)).body("belowUsd", equalTo(0.00006f));
        as(account.service()).body(Map.of("belowCredits", 1, "belowUsd", 1)).put(alert).then().statusCode(400);
        account.grant(grant(100, "paid", 50, null));
        String tunnel = account.register().then().statusCode(201).extract().path("id");
        for (int i = 0; i < 3; i++) {
            account.lease(tunnel, 20, 20L).then().statusCode(200);
        }
        assertEquals(1, events(account, "balance.low"), "99 -> 79 -> 59 -> 39: crossed once");
        assertEquals(0, events(account, "balance.depleted"));
        account.lease(tunnel, 20, 100L).then().statusCode(200);
        account.lease(tunnel, 0, 100L).then().statusCode(429);
        assertEquals(1, events(account, "balance.depleted"));
        assertEquals(1, events(account, "balance.low"));
        // A grant lifts the balance over the threshold and re-arms both.
        account.grant(grant(100, "paid", 50, null));
        account.lease(tunnel, 119, 100L).then().statusCode(200);
        account.lease(tunnel, 100, 100L).then().statusCode(429);
        assertEquals(2, events(account, "balance.low"));
        assertEquals(2, events(account, "balance.depleted"));
    }

    @Test
    void badGrantsAreRefusedWithTheField() {
        Prepaid account = Prepaid.create("prepaid-bad", Map.of());
        String path = "/admin/accounts/" + account.slug() + "/grants";
        Map<String, Map<String, Object>> bad = new HashMap<>();
        bad.put("credits", Map.of("credits", 0, "category", "paid"));
        bad.put("credits ", Map.of("credits", 1_000_000_000_000_001L, "category", "paid"));
        bad.put("usd", Map.of("usd", 1.0000001, "category", "paid"));
        bad.put("usd ", Map.of("usd", 1, "credits", 5, "category", "paid"));
        bad.put("priority", Map.of("credits", 5, "category", "paid", "priority", 101));
        bad.put("category", Map.of("credits", 5, "category", "gift"));
        bad.put("expiresAt", Map.of("credits", 5, "category", "paid", "effectiveAt", "2030-01-02T00:00:00Z",
                "expiresAt", "2030-01-01T00:00:00Z"));
        bad.forEach((field, body) -> asRoot().body(body).post(path).then().statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED")).body("field", equalTo(field.strip())));
        asRoot().body(Map.of("credits", 5, "category", "paid", "colour", "red")).post(path).then().statusCode(400);
        as(account.service()).body(Map.of("credits", 5, "category", "paid")).post(path).then().statusCode(403);
        asRoot().post(path + "/6b1f4a52-0000-4000-8000-000000000000/void").then().statusCode(404);
        asRoot().post(path + "/not-a-uuid/void").then().statusCode(404);
        asRoot().body(Map.of("funding", "credit-card")).patch("/admin/accounts/" + account.slug()).then()
                .statusCode(400).body("field", equalTo("funding"));
        as(account.service()).queryParam("order", "sideways").get("/admin/accounts/" + account.slug() + "/ledger")
                .then().statusCode(400).body("field", equalTo("order"));
    }

    @Test
    void anIdempotencyKeyGrantsOnce() {
        Prepaid account = Prepaid.create("prepaid-idem", Map.of());
        String path = "/admin/accounts/" + account.slug() + "/grants";
        Map<String, Object> body = Map.of("usd", 0.5, "category", "paid");
        String id = asRoot().header("Idempotency-Key", "topup-1").body(body).post(path).then().statusCode(201)
                .body("credits", equalTo(500_000)).extract().path("id");
        asRoot().header("Idempotency-Key", "topup-1").body(body).post(path).then().statusCode(201)
                .header("Idempotent-Replayed", "true").body("id", equalTo(id));
        asRoot().header("Idempotency-Key", "topup-1").body(Map.of("usd", 0.6, "category", "paid")).post(path)
                .then().statusCode(409).body("code", equalTo("IDEMPOTENCY_CONFLICT"));
        as(account.service()).get(path).then().body("grants", hasSize(1));
        assertEquals(500_000, account.usage().getLong("balance.remaining"));
        assertEquals(ledgerSum(account), 500_000);
    }

    @Test
    void aPostpaidAccountHasNoBalanceInItsViewAndIsNotDrawn() {
        String slug = Api.uniqueSlug("postpaid");
        String service = Api.createAccount(slug, Map.of()).path("serviceToken");
        asRoot().get("/admin/accounts/" + slug).then().body("funding", equalTo("postpaid"));
        as(service).get("/v1/usage").then().statusCode(200).body("balance", nullValue());
        asRoot().body(grant(100, "paid", 50, null)).post("/admin/accounts/" + slug + "/grants").then()
                .statusCode(201);
        String api = Api.apiToken(slug, service);
        as(api).body(Map.of()).post("/v1/tunnels").then().statusCode(201);
        as(service).get("/admin/accounts/" + slug + "/grants").then().body("grants[0].remaining", equalTo(100));
        asRoot().queryParam("account", slug).get("/admin/audit").then()
                .body("entries.find { it.action == 'grant.create' }.outcome", equalTo("ok"));
    }

    private long ledgerSum(Prepaid account) {
        return account.ledger().stream().mapToLong(e -> ((Number) e.get("credits")).longValue()).sum();
    }

    /** The account's events of a type in the outbox; an endpoint that wants them is created on first use. */
    private long events(Prepaid account, String type) throws SQLException {
        return count("select count(*) from webhook_event e join account a using (account_id) where a.slug = ? "
                + "and e.type = '" + type + "'", account.slug());
    }

    private long count(String sql, String slug) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, slug);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }
}
