package dev.sluice.tunnel;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

@QuarkusTest
class TunnelLeaseTest {

    @jakarta.inject.Inject
    io.agroal.api.AgroalDataSource db;

    @Test
    void registrationCostsOneCreditAndAnswersWithRateLimitHeaders() {
        Relay relay = Relay.create("reg", Map.of("dayLimit", 1000, "monthLimit", 5000));
        Response registered = relay.register(Map.of("region", "eu"));
        registered.then().statusCode(201)
                .header("RateLimit-Limit", "1000")
                .header("RateLimit-Remaining", "999")
                .header("RateLimit-Reset", notNullValue())
                .body("id", notNullValue())
                .body("subdomain", matchesPattern(relay.slug() + "-[a-z0-9]{8}"))
                .body("url", equalTo("https://" + registered.path("subdomain") + ".tunnel.localhost"))
                .body("passwordProtected", equalTo(false))
                .body("createdAt", notNullValue())
                .body("account.slug", equalTo(relay.slug()))
                .body("account.plan", equalTo("free"))
                .body("account.level", equalTo("ok"))
                .body("account.day.used", equalTo(1))
                .body("account.day.remaining", equalTo(999))
                .body("account.month.used", equalTo(1))
                .body("account.month.limit", equalTo(5000))
                .body("grant", notNullValue());
        long reset = Long.parseLong(registered.header("RateLimit-Reset"));
        Instant midnight = LocalDate.now(ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        assertTrue(Math.abs(midnight.getEpochSecond() - Instant.now().getEpochSecond() - reset) <= 2);
        as(relay.api()).get("/v1/tunnels/" + registered.path("id")).then().statusCode(200)
                .body("held", equalTo(0))
                .body("closedAt", equalTo(null));
    }

    @Test
    void aDrainedDayGivesFiveGrantsThen429s() {
        Relay relay = Relay.create("drain", Map.of("dayLimit", 250, "leaseChunk", 50));
        String tunnel = relay.open();
        long granted = 0;
        for (int i = 0; i < 5; i++) {
            Response lease = relay.lease(tunnel, i == 0 ? 0L : 50L, null);
            lease.then().statusCode(200).body("granted", greaterThan(0)).header("RateLimit-Limit", "250");
            granted += ((Number) lease.path("granted")).longValue();
        }
        assertEquals(249, granted, "registration took 1 of 250");
        Response refused = relay.lease(tunnel, 49L, null);
        refused.then().statusCode(429)
                .body("code", equalTo("QUOTA_EXCEEDED"))
                .body("error", equalTo("quota_exceeded"))
                .body("scope", equalTo("day"))
                .body("retryAfter", greaterThan(0))
                .header("RateLimit-Remaining", "0");
        assertEquals(String.valueOf((Integer) refused.path("retryAfter")), refused.header("Retry-After"));
        relay.lease(tunnel, 0L, null).then().statusCode(429);
        as(relay.api()).get("/v1/usage").then().body("day.used", equalTo(250)).body("day.leased", equalTo(0))
                .body("level", equalTo("exceeded"));
    }

    @Test
    void theMonthBindsOnItsOwn() {
        Relay relay = Relay.create("month", Map.of("dayLimit", 10_000, "monthLimit", 120, "leaseChunk", 100));
        String tunnel = relay.open();
        relay.lease(tunnel, null, null).then().statusCode(200).body("granted", equalTo(100))
                .header("RateLimit-Limit", "10000").header("RateLimit-Remaining", "19");
        relay.lease(tunnel, 100L, null).then().statusCode(200).body("granted", equalTo(19));
        relay.lease(tunnel, 19L, null).then().statusCode(429).body("scope", equalTo("month"))
                .body("retryAfter", greaterThan(0));
    }

    @Test
    void twoTunnelsShareOnePool() {
        Relay relay = Relay.create("pool", Map.of("plan", "pro", "dayLimit", 101, "leaseChunk", 40));
        String first = relay.open();
        String second = relay.open();
        relay.lease(first, null, null).then().body("granted", equalTo(40));
        relay.lease(second, null, null).then().body("granted", equalTo(40)).body("account.day.leased", equalTo(80));
        relay.lease(first, 40L, null).then().body("granted", equalTo(19));
        relay.lease(second, 40L, null).then().statusCode(429);
        Response view = as(relay.service()).get("/v1/tunnels");
        view.then().statusCode(200).body("tunnels", hasSize(2)).body("tunnels[0].id", equalTo(first));
        assertEquals(40 + 19, ((Number) view.path("tunnels[0].consumed")).longValue()
                + ((Number) view.path("tunnels[0].held")).longValue());
    }

    @Test
    void grantsAreMinOfWantChunkAndWhatRemains() {
        Relay relay = Relay.create("want", Map.of("dayLimit", 200, "leaseChunk", 50));
        String tunnel = relay.open();
        relay.lease(tunnel, null, 20L).then().body("granted", equalTo(20)).body("held", equalTo(20));
        relay.lease(tunnel, 0L, 500L).then().body("granted", equalTo(50)).body("held", equalTo(70));
        relay.lease(tunnel, 10L, 0L).then().statusCode(200).body("granted", equalTo(0)).body("held", equalTo(60));
        relay.lease(tunnel, 0L, null).then().statusCode(200).body("granted", equalTo(50)).body("held", equalTo(110));
        // 1 (registration) + 10 used, 110 held: 79 remain, so the next grant is cut to it, then nothing is left.
        relay.lease(tunnel, 0L, null).then().statusCode(200).body("granted", equalTo(50));
        relay.lease(tunnel, 0L, null).then().statusCode(200).body("granted", equalTo(29))
                .body("account.day.remaining", equalTo(0)).body("level", equalTo("exceeded"));
        relay.lease(tunnel, 0L, null).then().statusCode(429).body("scope", equalTo("day"));
    }

    @Test
    void overshootShowsAsNegativeRemaining() {
        Relay relay = Relay.create("negative", Map.of("dayLimit", 100, "leaseChunk", 50));
        String tunnel = relay.open();
        relay.lease(tunnel, null, null).then().body("held", equalTo(50));
        // Held 50, consumed 150: the 50 held and one chunk of overshoot are billed, the other 50 are not.
        relay.lease(tunnel, 150L, null).then().statusCode(429).header("RateLimit-Remaining", "0");
        as(relay.api()).get("/v1/usage").then().body("day.used", equalTo(101)).body("day.remaining", equalTo(-1))
                .body("day.unbilled", equalTo(50)).body("level", equalTo("exceeded"));
    }

    @Test
    void consumptionBeyondTheLeaseIsStillChargedAsOvershoot() {
        Relay relay = Relay.create("over", Map.of("dayLimit", 10_000, "leaseChunk", 50));
        String tunnel = relay.open();
        relay.lease(tunnel, null, null).then().body("held", equalTo(50));
        relay.lease(tunnel, 80L, null).then().statusCode(200)
                .body("account.day.used", equalTo(81))
                .body("account.day.leased", equalTo(50));
    }

    @Test
    void closeReturnsTheUnusedLeaseAndLaterCallsAre410() {
        Relay relay = Relay.create("close", Map.of("dayLimit", 10_000, "leaseChunk", 50));
        String tunnel = relay.open();
        relay.lease(tunnel, null, null).then().body("held", equalTo(50));
        relay.close(tunnel, 20).then().statusCode(200).body("returned", equalTo(30)).body("reason", equalTo("closed"));
        relay.lease(tunnel, 0L, null).then().statusCode(410).body("code", equalTo("TUNNEL_CLOSED"))
                .body("reason", equalTo("closed"));
        relay.close(tunnel, 0).then().statusCode(410);
        as(relay.api()).get("/v1/tunnels/" + tunnel).then().body("closeReason", equalTo("closed"))
                .body("consumed", equalTo(20)).body("held", equalTo(0));
        String next = relay.open();
        relay.lease(next, null, null).then().body("account.day.used", equalTo(22))
                .body("account.day.leased", equalTo(50));
    }

    @Test
    void suspensionClosesLiveTunnelsAndRefusesNewOnes() {
        Relay relay = Relay.create("susp", Map.of("dayLimit", 10_000));
        String tunnel = relay.open();
        relay.lease(tunnel, null, null).then().statusCode(200);
        asRoot().post("/admin/accounts/" + relay.slug() + "/suspend").then().statusCode(200);
        relay.lease(tunnel, 10L, null).then().statusCode(410).body("reason", equalTo("suspended"));
        relay.register(Map.of()).then().statusCode(403).body("code", equalTo("ACCOUNT_SUSPENDED"));
        String unknown = dev.sluice.auth.TokenFormat.generate(dev.sluice.auth.TokenFormat.Tier.API, relay.slug());
        as(unknown).body(Map.of()).post("/v1/tunnels").then().statusCode(403).body("code", equalTo("ACCOUNT_SUSPENDED"));
        as(relay.service()).get("/v1/tunnels").then().body("tunnels", hasSize(0));
        asRoot().post("/admin/accounts/" + relay.slug() + "/resume").then().statusCode(200);
        relay.open();
    }

    @Test
    void revokingATokenClosesTheTunnelsItOpened() {
        Relay relay = Relay.create("revoke", Map.of("plan", "pro", "dayLimit", 10_000));
        Response minted = as(relay.service()).body(Map.of()).post("/admin/accounts/" + relay.slug() + "/tokens");
        String other = minted.path("token");
        String fromOther = as(other).body(Map.of()).post("/v1/tunnels").then().statusCode(201).extract().path("id");
        String fromMain = relay.open();
        as(relay.service()).delete("/admin/accounts/" + relay.slug() + "/tokens/" + minted.path("id")).then()
                .statusCode(200);
        relay.lease(fromOther, 0L, null).then().statusCode(410).body("reason", equalTo("revoked"));
        relay.lease(fromMain, 0L, null).then().statusCode(200);
        as(other).body(Map.of()).post("/v1/tunnels/" + fromMain + "/lease").then().statusCode(401);
    }

    @Test
    void leasesAreScopedToTheTokensAccount() {
        Relay mine = Relay.create("scope-a", Map.of("dayLimit", 10_000));
        Relay theirs = Relay.create("scope-b", Map.of("dayLimit", 10_000));
        String tunnel = theirs.open();
        mine.lease(tunnel, 0L, null).then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        mine.lease("not-a-uuid", 0L, null).then().statusCode(404);
        as(mine.api()).get("/v1/tunnels/" + tunnel).then().statusCode(404);
        as(mine.service()).body(Map.of()).post("/v1/tunnels/" + tunnel + "/lease").then().statusCode(403);
        asRoot().body(Map.of()).post("/v1/tunnels").then().statusCode(403);
    }

    @Test
    void badLeaseBodiesAre400() {
        Relay relay = Relay.create("badlease", Map.of("dayLimit", 10_000));
        String tunnel = relay.open();
        for (String body : new String[] { "{\"consumed\":-1}", "{\"want\":\"10\"}", "{\"consumed\":1.5}",
                "{\"bytesIn\":-5}", "{\"consumed\":99999999999999999999}", "{\"nope\":1}",
                "{\"consumed\":1000000000001}" }) {
            as(relay.api()).body(body).post("/v1/tunnels/" + tunnel + "/lease").then().statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED")).body("field", notNullValue());
        }
        as(relay.api()).body("{\"subdomain\":5}").post("/v1/tunnels").then().statusCode(400);
        as(relay.api()).body("{\"password\":\"yes\"}").post("/v1/tunnels").then().statusCode(400)
                .body("field", equalTo("password"));
    }

    @Test
    void theLegacyTunnelSecretSpendsFromTheInternalAccount() {
        Response registered = as(Api.TUNNEL_SECRET).body(Map.of()).post("/v1/tunnels");
        registered.then().statusCode(201).body("account.slug", equalTo("internal"))
                .body("subdomain", matchesPattern("internal-[a-z0-9]{8}"));
        as(Api.TUNNEL_SECRET).body(Map.of()).post("/v1/tunnels/" + registered.path("id") + "/lease").then()
                .statusCode(200).body("granted", equalTo(50));
        as(Api.TUNNEL_SECRET).body(Map.of("consumed", 5)).post("/v1/tunnels/" + registered.path("id") + "/close")
                .then().statusCode(200).body("returned", equalTo(45));
    }

    @Test
    void theFreePlansByteAllowanceStopsLeasesUntilItsWindowEnds() {
        Relay relay = Relay.create("bytes-cap", Map.of("dayLimit", 10_000));
        String tunnel = relay.open();
        as(relay.api()).body(Map.of("bytesIn", 5_368_709_000L, "bytesOut", 119)).post("/v1/tunnels/" + tunnel + "/lease")
                .then().statusCode(200);
        Response refused = as(relay.api()).body(Map.of("bytesOut", 1)).post("/v1/tunnels/" + tunnel + "/lease");
        refused.then().statusCode(429).body("code", equalTo("QUOTA_EXCEEDED")).body("scope", equalTo("bytes"))
                .body("retryAfter", greaterThan(6 * 24 * 3600));
        as(relay.api()).get("/v1/usage").then().body("bytes.used", equalTo(5_368_709_120L))
                .body("bytes.limit", equalTo(5_368_709_120L));
        Relay pro = Relay.create("bytes-pro", Map.of("plan", "pro", "dayLimit", 10_000));
        String proTunnel = pro.open();
        as(pro.api()).body(Map.of("bytesIn", 9_000_000_000L)).post("/v1/tunnels/" + proTunnel + "/lease").then()
                .statusCode(200);
        as(pro.api()).body(Map.of("bytesIn", 1)).post("/v1/tunnels/" + proTunnel + "/lease").then().statusCode(200);
    }

    @Test
    void theFreePlansSessionAllowanceStopsLeasesAfterTwoHoursADay() throws Exception {
        Relay relay = Relay.create("session-cap", Map.of("dayLimit", 10_000));
        String tunnel = relay.open();
        try (java.sql.Connection c = db.getConnection(); java.sql.PreparedStatement s = c.prepareStatement(
                "update tunnel set last_seen_at = now() - interval '7201 seconds' where tunnel_id = ?")) {
            s.setObject(1, java.util.UUID.fromString(tunnel));
            s.executeUpdate();
        }
        relay.lease(tunnel, 0L, null).then().statusCode(429).body("scope", equalTo("sessionSeconds"))
                .body("retryAfter", greaterThan(23 * 3600));
        as(relay.api()).get("/v1/usage").then().body("sessionSeconds.used", greaterThan(7200))
                .body("sessionSeconds.limit", equalTo(7200));
        as(relay.api()).get("/v1/tunnels/" + tunnel).then().body("sessionSeconds", greaterThan(7200));
    }

    @Test
    void bytesAndSessionCountersAddUpPerTunnel() {
        Relay relay = Relay.create("bytes", Map.of("dayLimit", 10_000));
        String tunnel = relay.open();
        as(relay.api()).body(Map.of("bytesIn", 1000, "bytesOut", 2500)).post("/v1/tunnels/" + tunnel + "/lease")
                .then().statusCode(200);
        as(relay.api()).body(Map.of("bytesIn", 1, "bytesOut", 2)).post("/v1/tunnels/" + tunnel + "/lease").then()
                .statusCode(200);
        as(relay.api()).get("/v1/tunnels/" + tunnel).then().body("bytesIn", equalTo(1001))
                .body("bytesOut", equalTo(2502)).body("sessionSeconds", notNullValue())
                .body("lastActivityAt", notNullValue());
    }
}
