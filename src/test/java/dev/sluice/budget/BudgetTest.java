package dev.sluice.budget;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
 * Contract §12 through HTTP against PostgreSQL: a blocking token budget stops that token's tunnels at its limit
 * (and bills at most the overshoot bound past it) while the account's other tokens lease on; budgets never raise
 * what an account may spend and deleting one un-bills nothing; thresholds are sent once per window; attribution
 * by token; every bad input of the issue.
 */
@QuarkusTest
class BudgetTest {

    private static final long CHUNK = 100;
    private static final int CONCURRENT = 2;
    private static final long BOUND = CHUNK * CONCURRENT;

    @Inject
    AgroalDataSource db;

    /** An account with a webhook endpoint for budget.threshold and two api tokens. */
    record Owner(String slug, String service, String api, String apiId, String other, String otherId) {

        static Owner create(String prefix, Map<String, Object> fields) {
            String slug = Api.uniqueSlug(prefix);
            Map<String, Object> all = new HashMap<>(Map.of("dayLimit", 10_000_000, "monthLimit", 100_000_000,
                    "leaseChunk", CHUNK, "concurrentMax", CONCURRENT, "plan", "pro"));
            all.putAll(fields);
            String service = Api.createAccount(slug, all).path("serviceToken");
            as(service).body(Map.of("url", "https://9.9.9.9/hook", "events", List.of("budget.threshold")))
                    .post("/admin/accounts/" + slug + "/webhooks").then().statusCode(201);
            Response api = as(service).body(Map.of("kind", "api")).post("/admin/accounts/" + slug + "/tokens");
            Response other = as(service).body(Map.of("kind", "api")).post("/admin/accounts/" + slug + "/tokens");
            return new Owner(slug, service, api.path("token"), api.path("id"), other.path("token"), other.path("id"));
        }

        String budgets() {
            return "/admin/accounts/" + slug + "/budgets";
        }

        JsonPath budget(Map<String, Object> body) {
            return as(service).body(body).post(budgets()).then().statusCode(201).extract().jsonPath();
        }

        JsonPath get(String budgetId) {
            return as(service).get(budgets() + "/" + budgetId).then().statusCode(200).extract().jsonPath();
        }

        String register(String token) {
            return as(token).body(Map.of()).post("/v1/tunnels").then().statusCode(201).extract().path("id");
        }

        Response lease(String token, String tunnel, long consumed) {
            return as(token).body(Map.of("consumed", consumed)).post("/v1/tunnels/" + tunnel + "/lease");
        }

        JsonPath usage(String tokenId) {
            return as(service).queryParam("token", tokenId).get("/v1/usage").then().statusCode(200).extract()
                    .jsonPath();
        }
    }

    @Test
    void aTokenBudgetBlocksThatTokensTunnelsAtItsLimitWhileAnotherTokenLeases() {
        Owner owner = Owner.create("budget-block", Map.of());
        String budgetId = owner.budget(Map.of("tokenId", owner.apiId(), "window", "day", "limitCredits", 1000,
                "action", "block", "thresholds", List.of())).getString("id");
        String tunnel = owner.register(owner.api());
        // The relay reports exactly what it held, every time, until the budget refuses.
        long held = 0;
        Response leased;
        int leases = 0;
        while ((leased = owner.lease(owner.api(), tunnel, held)).statusCode() == 200) {
            held = leased.jsonPath().getLong("held");
            assertTrue(++leases < 100, "the budget never refused");
        }
        leased.then().statusCode(429).body("code", equalTo("QUOTA_EXCEEDED")).body("scope", equalTo("budget"))
                .body("budgetId", equalTo(budgetId)).header("RateLimit-Remaining", "0");
        assertEquals(1000, owner.get(budgetId).getLong("spent"), "registration's credit and every lease: exactly $X");
        assertEquals(1000, owner.usage(owner.apiId()).getLong("day.used"));
        // Another token of the account leases on.
        String other = owner.register(owner.other());
        owner.lease(owner.other(), other, 0).then().statusCode(200).body("granted", equalTo((int) CHUNK));
        // Whatever a leaked token reports, spent never passes the limit plus the overshoot bound.
        for (int i = 0; i < 5; i++) {
            owner.lease(owner.api(), tunnel, 1_000_000);
        }
        long spent = owner.get(budgetId).getLong("spent");
        assertTrue(spent <= 1000 + BOUND, "spent " + spent + " past the limit plus the bound");
        JsonPath usage = owner.usage(owner.apiId());
        assertEquals(spent, usage.getLong("day.used"));
        assertTrue(usage.getLong("day.unbilled") > 0);
        assertEquals(spent + 1, asRoot().get("/admin/accounts/" + owner.slug() + "/usage").then()
                .extract().jsonPath().getLong("day.used"), "the account bills both tokens' tunnels");
    }

    @Test
    void aBlockingBudgetRefusesRegistrationOnceItsScopeHasNothingLeft() {
        Owner owner = Owner.create("budget-register", Map.of());
        String budgetId = owner.budget(Map.of("tokenId", owner.apiId(), "window", "month", "limitCredits", 1,
                "action", "block")).getString("id");
        owner.register(owner.api());
        as(owner.api()).body(Map.of()).post("/v1/tunnels").then().statusCode(429).body("scope", equalTo("budget"))
                .body("budgetId", equalTo(budgetId));
        // A notify budget never refuses, and the account's other token is outside this budget.
        owner.register(owner.other());
    }

    @Test
    void aBudgetNeverRaisesWhatTheAccountMaySpendAndDeletingOneUnbillsNothing() {
        Owner owner = Owner.create("budget-raise", Map.of("dayLimit", 250));
        String budgetId = owner.budget(Map.of("window", "day", "limitUsd", 5, "action", "block")).getString("id");
        String tunnel = owner.register(owner.api());
        owner.lease(owner.api(), tunnel, 0).then().statusCode(200);
        owner.lease(owner.api(), tunnel, 100).then().statusCode(200);
        owner.lease(owner.api(), tunnel, 100).then().statusCode(200);
        owner.lease(owner.api(), tunnel, 49).then().statusCode(429).body("scope", equalTo("day"));
        long used = owner.usage(owner.apiId()).getLong("day.used");
        assertEquals(used, owner.get(budgetId).getLong("spent"));
        as(owner.service()).delete(owner.budgets() + "/" + budgetId).then().statusCode(200)
                .body("ok", equalTo(true));
        as(owner.service()).get(owner.budgets() + "/" + budgetId).then().statusCode(404);
        assertEquals(used, as(owner.service()).get("/v1/usage").then().extract().jsonPath().getLong("day.used"));
        as(owner.service()).get(owner.budgets()).then().body("budgets", hasSize(0));
    }

    @Test
    void thresholdsAreSentOncePerThresholdAndWindow() throws SQLException {
        Owner owner = Owner.create("budget-alert", Map.of("leaseChunk", 1000));
        String budgetId = owner.budget(Map.of("window", "day", "limitCredits", 1000, "action", "notify",
                "thresholds", List.of(Map.of("pct", 50), Map.of("pct", 80), Map.of("usd", 0.001)))).getString("id");
        String tunnel = owner.register(owner.api());
        owner.lease(owner.api(), tunnel, 0).then().statusCode(200);
        // One large report crosses 50 %, 80 % and 100 % ($0.001 = 1000 credits): three webhooks.
        owner.lease(owner.api(), tunnel, 999).then().statusCode(200);
        assertEquals(List.of("{\"pct\": 50, \"credits\": 500}", "{\"pct\": 80, \"credits\": 800}",
                "{\"usd\": 0.001, \"credits\": 1000}"), thresholdsSent(owner));
        JsonPath event = JsonPath.from(events(owner).get(2));
        assertEquals(budgetId, event.getString("budgetId"));
        assertEquals("day", event.getString("window"));
        assertEquals(1000, event.getLong("spent"));
        assertEquals(1000, event.getLong("limit"));
        owner.lease(owner.api(), tunnel, 500).then().statusCode(200);
        assertEquals(3, events(owner).size(), "never once per request");
        // A threshold set below what is already spent is sent once, and only once.
        as(owner.service()).body(Map.of("thresholds", List.of(Map.of("pct", 50), Map.of("pct", 30))))
                .patch(owner.budgets() + "/" + budgetId).then().statusCode(200).body("thresholds[1].credits",
                        equalTo(300));
        owner.lease(owner.api(), tunnel, 10).then().statusCode(200);
        assertEquals(4, events(owner).size());
        // A new window sends them again.
        update("update budget set window_start = window_start - 1 where budget_id = ?::uuid", budgetId);
        update("update account_usage set day_start = day_start - 1 where account_id = (select account_id from account "
                + "where slug = ?)", owner.slug());
        assertEquals(0, owner.get(budgetId).getLong("spent"));
        owner.lease(owner.api(), tunnel, 600).then().statusCode(200);
        assertEquals(6, events(owner).size());
    }

    @Test
    void aRollMovesTheTokensBudgetsAndItsOldTunnelsStillCount() {
        Owner owner = Owner.create("budget-roll", Map.of());
        String budgetId = owner.budget(Map.of("tokenId", owner.apiId(), "window", "day", "limitCredits", 10_000,
                "action", "block")).getString("id");
        String tunnel = owner.register(owner.api());
        Response rolled = as(owner.service()).body(Map.of("overlapSeconds", 60))
                .post("/admin/accounts/" + owner.slug() + "/tokens/" + owner.apiId() + "/roll");
        rolled.then().statusCode(201);
        assertEquals(rolled.path("id"), owner.get(budgetId).getString("tokenId"));
        owner.lease(owner.api(), tunnel, 0).then().statusCode(200);
        owner.lease(owner.api(), tunnel, 40).then().statusCode(200);
        owner.register(rolled.path("token"));
        assertEquals(1 + 40 + 1, owner.get(budgetId).getLong("spent"));
    }

    @Test
    void usageByTokenAndTheSeriesByToken() throws SQLException {
        Owner owner = Owner.create("budget-usage", Map.of());
        String tunnel = owner.register(owner.api());
        owner.lease(owner.api(), tunnel, 0).then().statusCode(200);
        owner.lease(owner.api(), tunnel, 30).then().statusCode(200);
        JsonPath mine = owner.usage(owner.apiId());
        assertEquals(31, mine.getLong("day.used"));
        assertEquals(as(owner.api()).get("/v1/tunnels/" + tunnel).then().extract().jsonPath().getLong("held"),
                mine.getLong("day.leased"), "what its open tunnel holds");
        assertEquals(1, mine.getInt("openTunnels"));
        JsonPath other = owner.usage(owner.otherId());
        assertEquals(0, other.getLong("day.used"));
        assertEquals(0, other.getInt("openTunnels"));
        // The series keeps each token's credits per day, whatever happens to the tunnels.
        update("update token_daily set day = day - 1 where account_id = (select account_id from account "
                + "where slug = ?)", owner.slug());
        JsonPath series = as(owner.service()).queryParam("days", 2).queryParam("by", "token")
                .get("/v1/usage/series").then().statusCode(200).extract().jsonPath();
        assertEquals(31, series.getLong("buckets[1].tokens.'" + owner.apiId() + "'"));
        as(owner.service()).queryParam("days", 2).get("/v1/usage/series").then().statusCode(200)
                .body("buckets[1].tokens", nullValue());
        // Bad and foreign ids, a bad grouping, and an api token asking for one token.
        as(owner.service()).queryParam("token", "nope").get("/v1/usage").then().statusCode(400)
                .body("field", equalTo("token"));
        as(owner.service()).queryParam("by", "tunnel").get("/v1/usage/series").then().statusCode(400)
                .body("field", equalTo("by"));
        as(owner.api()).queryParam("token", owner.apiId()).get("/v1/usage").then().statusCode(403);
        as(owner.service()).queryParam("token", "tunnel-secret")
                .get("/admin/accounts/" + owner.slug() + "/usage").then().statusCode(200).body("day.used",
                        equalTo(0));
        // TUNNEL_SECRET's tunnels, in the internal account, count as the token tunnel-secret.
        String legacy = as(Api.TUNNEL_SECRET).body(Map.of()).post("/v1/tunnels").then().statusCode(201).extract()
                .path("id");
        as(Api.TUNNEL_SECRET).body(Map.of()).post("/v1/tunnels/" + legacy + "/close").then().statusCode(200);
        assertTrue(asRoot().queryParam("token", "tunnel-secret").get("/admin/accounts/internal/usage").then()
                .statusCode(200).extract().jsonPath().getLong("day.used") >= 1);
    }

    @Test
    void badBudgetsAreRefusedWithTheContractsCode() {
        Owner owner = Owner.create("budget-bad", Map.of());
        Owner stranger = Owner.create("budget-stranger", Map.of());
        String serviceId = as(owner.service()).get("/admin/accounts/" + owner.slug() + "/tokens").then().extract()
                .path("tokens.find { it.kind == 'service' }.id");
        List<Map<String, Object>> eleven = new ArrayList<>();
        for (int pct = 1; pct <= 11; pct++) {
            eleven.add(Map.of("pct", pct));
        }
        Map<String, Map<String, Object>> bad = new HashMap<>();
        bad.put("thresholds", body(Map.of("thresholds", eleven)));
        bad.put("thresholds ", body(Map.of("thresholds", List.of(Map.of("pct", 0)))));
        bad.put("thresholds  ", body(Map.of("thresholds", List.of(Map.of("pct", 101)))));
        bad.put("thresholds   ", body(Map.of("thresholds", List.of(Map.of("pct", 5, "usd", 1)))));
        bad.put("tokenId", body(Map.of("tokenId", stranger.apiId())));
        bad.put("tokenId ", body(Map.of("tokenId", serviceId)));
        bad.put("tokenId  ", body(Map.of("tokenId", "not-a-token")));
        bad.put("limitUsd", body(Map.of("limitUsd", 1, "limitCredits", 5)));
        bad.put("limitCredits", body(Map.of("limitCredits", 0)));
        bad.put("window", body(Map.of("window", "week")));
        bad.put("action", body(Map.of("action", "shout")));
        bad.forEach((field, body) -> as(owner.service()).body(body).post(owner.budgets()).then().statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED")).body("field", equalTo(field.strip())));
        as(owner.service()).body(body(Map.of("colour", "red"))).post(owner.budgets()).then().statusCode(400);
        as(stranger.service()).body(body(Map.of())).post(owner.budgets()).then().statusCode(403);
        as(owner.api()).get(owner.budgets()).then().statusCode(403);
        as(owner.service()).body(Map.of("limitCredits", 5)).patch(owner.budgets() + "/not-a-uuid").then()
                .statusCode(404);
        as(owner.service()).body(Map.of("window", "month")).patch(owner.budgets()
                + "/6b1f4a52-0000-4000-8000-000000000000").then().statusCode(400);
        for (int i = 0; i < BudgetService.MAX_BUDGETS; i++) {
            as(owner.service()).body(body(Map.of())).post(owner.budgets()).then().statusCode(201);
        }
        as(owner.service()).body(body(Map.of())).post(owner.budgets()).then().statusCode(409)
                .body("code", equalTo("BUDGET_LIMIT_REACHED"));
        asRoot().queryParam("account", owner.slug()).get("/admin/audit").then()
                .body("entries.findAll { it.action == 'budget.create' && it.outcome == 'ok' }.size()",
                        equalTo(BudgetService.MAX_BUDGETS));
    }

    /** A valid budget body, with some fields replaced. */
    private static Map<String, Object> body(Map<String, Object> replaced) {
        Map<String, Object> body = new HashMap<>(Map.of("window", "day", "limitCredits", 100, "action", "notify"));
        body.putAll(replaced);
        return body;
    }

    /** The thresholds of the account's budget.threshold events, oldest first. */
    private List<String> thresholdsSent(Owner owner) throws SQLException {
        List<String> thresholds = new ArrayList<>();
        for (String event : events(owner)) {
            thresholds.add(JsonPath.from(event).getString("threshold") == null ? null
                    : query("select (?::jsonb -> 'threshold')::text", event).get(0));
        }
        return thresholds;
    }

    private List<String> events(Owner owner) throws SQLException {
        return query("select e.data::text from webhook_event e join account a using (account_id) where a.slug = ? "
                + "and e.type = 'budget.threshold' order by e.created_at, (e.data -> 'threshold' ->> 'credits')::bigint",
                owner.slug());
    }

    private List<String> query(String sql, String parameter) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, parameter);
            try (ResultSet r = s.executeQuery()) {
                List<String> rows = new ArrayList<>();
                while (r.next()) {
                    rows.add(r.getString(1));
                }
                return rows;
            }
        }
    }

    private void update(String sql, String parameter) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, parameter);
            s.executeUpdate();
        }
    }
}
