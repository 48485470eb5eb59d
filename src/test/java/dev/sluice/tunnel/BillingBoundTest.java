package dev.sluice.tunnel;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/**
 * Contract §5's billing bound: what a tunnel held is always billed; overshoot at most one lease chunk per report and
 * at most {@code leaseChunk × concurrentMax} per window; the rest is unbilled, shown and audited once per tunnel and
 * day. A leaked api token reporting absurd consumption cannot run up the bill.
 */
@QuarkusTest
class BillingBoundTest {

    private static final long HUGE = 1_000_000_000_000L;

    @Test
    void aLeakedTokenReportingHugeConsumptionBillsAtMostTheBound() {
        // $0.001 a day is 1,000 credits; one tunnel at a time, so the window's overshoot bound is one chunk (50).
        Relay relay = Relay.create("bound", Map.of("dayLimit", 1_000, "leaseChunk", 50, "concurrentMax", 1));
        String tunnel = relay.open();
        // Held nothing: 50 of the overshoot billed (one chunk, the whole bound), the rest unbilled; then a grant.
        relay.lease(tunnel, HUGE, null).then().statusCode(200).body("granted", equalTo(50))
                .body("account.day.used", equalTo(51)).body("account.day.unbilled", equalTo(HUGE - 50));
        // Held 50: billed; the overshoot bound is spent, so nothing beyond it is.
        relay.lease(tunnel, HUGE, null).then().statusCode(200).body("account.day.used", equalTo(101));
        relay.lease(tunnel, HUGE, null).then().statusCode(200).body("account.day.used", equalTo(151));
        as(relay.api()).get("/v1/usage").then().statusCode(200)
                .body("day.used", equalTo(151))
                .body("day.unbilled", equalTo(3 * HUGE - 150))
                .body("month.unbilled", equalTo(3 * HUGE - 150));
        as(relay.api()).get("/v1/tunnels/" + tunnel).then().statusCode(200)
                .body("consumed", equalTo(3 * HUGE)).body("unbilled", equalTo(3 * HUGE - 150));
        // Audited once for the tunnel and day, under the account, by the token that reported.
        asRoot().queryParam("account", relay.slug()).get("/admin/audit").then().statusCode(200)
                .body("entries.findAll { it.action == 'report.capped' }.size()", equalTo(1))
                .body("entries.find { it.action == 'report.capped' }.target", equalTo("tunnel:" + tunnel))
                .body("entries.find { it.action == 'report.capped' }.actor.kind", equalTo("api"));
    }

    @Test
    void overshootIsAtMostOneChunkPerReportAndTheBoundIsPerAccountAcrossTunnels() {
        Relay relay = Relay.create("bound-two", Map.of("plan", "pro", "dayLimit", 100_000, "leaseChunk", 50,
                "concurrentMax", 2));
        String first = relay.open();
        String second = relay.open();
        // 2 registrations; then each tunnel, holding nothing, reports 80: 50 billed each (one chunk per report).
        relay.lease(first, 80L, 0L).then().statusCode(200).body("account.day.used", equalTo(52));
        relay.lease(second, 80L, 0L).then().statusCode(200).body("account.day.used", equalTo(102));
        // The window's bound (50 × 2) is spent: a third overshoot bills nothing, on either tunnel.
        relay.lease(first, 10L, 0L).then().statusCode(200).body("account.day.used", equalTo(102))
                .body("account.day.unbilled", equalTo(70));
        as(relay.service()).get("/v1/tunnels/" + first).then().body("unbilled", equalTo(40));
        as(relay.service()).get("/v1/tunnels/" + second).then().body("unbilled", equalTo(30));
        // Consumption within what a tunnel holds is always billed, whatever the bound.
        relay.lease(second, 0L, null).then().statusCode(200).body("held", equalTo(50));
        relay.lease(second, 50L, 0L).then().statusCode(200).body("account.day.used", equalTo(152))
                .body("account.day.unbilled", equalTo(70));
        asRoot().queryParam("account", relay.slug()).get("/admin/audit").then().statusCode(200)
                .body("entries.findAll { it.action == 'report.capped' }.size()", equalTo(2));
    }

    @Test
    void aRefusedLateReportCountsAsUnbilled() {
        Relay relay = Relay.create("bound-late", Map.of("dayLimit", 10_000, "leaseChunk", 50));
        String tunnel = relay.open();
        relay.lease(tunnel, null, null).then().statusCode(200).body("held", equalTo(50));
        relay.close(tunnel, 0).then().statusCode(200).body("returned", equalTo(50));
        // Up to what it held at close plus one chunk (100) is billed; the other 30 are not.
        relay.close(tunnel, 130).then().statusCode(410);
        as(relay.api()).get("/v1/usage").then().body("day.used", equalTo(101)).body("day.unbilled", equalTo(30));
        as(relay.service()).get("/v1/tunnels/" + tunnel).then().body("unbilled", equalTo(30))
                .body("consumed", equalTo(130));
    }

    @Test
    void rootSeesUnbilledTotals() {
        Relay relay = Relay.create("bound-total", Map.of("dayLimit", 10_000, "leaseChunk", 50, "concurrentMax", 1));
        String tunnel = relay.open();
        relay.lease(tunnel, 500L, 0L).then().statusCode(200);
        JsonPath all = asRoot().get("/admin/usage").then().statusCode(200).extract().jsonPath();
        assertEquals(450, all.getLong("accounts.find { it.slug == '" + relay.slug() + "' }.day.unbilled"));
        assertTrue(all.getLong("totals.day.unbilled") >= 450, "the totals add every account's unbilled");
    }
}
