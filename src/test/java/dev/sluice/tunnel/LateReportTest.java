package dev.sluice.tunnel;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;

/** Closing a tunnel early, by any path, never turns what its relay served into free traffic. */
@QuarkusTest
class LateReportTest {

    @Inject
    AgroalDataSource db;
    @Inject
    TunnelReaper reaper;

    @Test
    void aReportAfterTheClientsOwnCloseIsChargedThenAnswered410UpToHeldPlusOneChunk() throws SQLException {
        Relay relay = Relay.create("late-close", Map.of("dayLimit", 10_000));
        String tunnel = relay.open();
        relay.lease(tunnel, null, null).then().statusCode(200).body("held", equalTo(50));
        relay.close(tunnel, 0).then().statusCode(200).body("returned", equalTo(50));
        assertEquals(1, dayUsed(relay));

        relay.lease(tunnel, 50L, null).then().statusCode(410).body("code", equalTo("TUNNEL_CLOSED"))
                .body("reason", equalTo("closed"));
        assertEquals(1 + 50, dayUsed(relay));
        assertEquals(0, overshoot(relay), "within what the tunnel held at close");
        // Up to what it held at close plus one lease chunk in all: 100; the rest is not billed, and is audited.
        relay.close(tunnel, 70).then().statusCode(410);
        assertEquals(1 + 100, dayUsed(relay));
        assertEquals(50, overshoot(relay));
        relay.lease(tunnel, 5L, null).then().statusCode(410);
        assertEquals(1 + 100, dayUsed(relay));
        assertEquals(20 + 5, usageColumn(relay, "day_unbilled"), "what was not billed");
        asRoot().queryParam("account", relay.slug()).get("/admin/audit").then()
                .body("entries.findAll { it.action == 'tunnel.late_report' }.size()", equalTo(2))
                .body("entries.find { it.action == 'tunnel.late_report' }.outcome", equalTo("TUNNEL_CLOSED"));
    }

    @Test
    void suspendingAndResumingDoesNotForgiveWhatWasServed() throws SQLException {
        Relay relay = Relay.create("late-suspend", Map.of("dayLimit", 10_000));
        String tunnel = relay.open();
        relay.lease(tunnel, null, null).then().statusCode(200);
        as(relay.service()).post("/admin/accounts/" + relay.slug() + "/suspend").then().statusCode(200);
        // While suspended a report is charged and answered 410 (suspended), never an uncharged 403.
        relay.lease(tunnel, 20L, null).then().statusCode(410).body("reason", equalTo("suspended"));
        as(relay.service()).post("/admin/accounts/" + relay.slug() + "/resume").then().statusCode(200);
        relay.lease(tunnel, 30L, null).then().statusCode(410).body("reason", equalTo("suspended"));
        assertEquals(1 + 50, dayUsed(relay));
        relay.register(Map.of()).then().statusCode(201);
    }

    @Test
    void aRevokedTokenStillReportsOnItsOwnTunnelsAndIsChargedButNothingElse() throws SQLException {
        Relay relay = Relay.create("late-revoke", Map.of("plan", "pro", "dayLimit", 10_000));
        String tunnel = relay.open();
        relay.lease(tunnel, null, null).then().statusCode(200);
        String other = dev.sluice.Api.apiToken(relay.slug(), relay.service());
        String othersTunnel = as(other).body(Map.of()).post("/v1/tunnels").then().statusCode(201).extract().path("id");
        String id = tokenId(relay);
        as(relay.service()).delete("/admin/accounts/" + relay.slug() + "/tokens/" + id).then().statusCode(200);

        relay.lease(tunnel, 40L, null).then().statusCode(410).body("reason", equalTo("revoked"));
        assertEquals(2 + 40, dayUsed(relay));
        relay.lease(othersTunnel, 1L, null).then().statusCode(401);
        relay.register(Map.of()).then().statusCode(401);
        as(relay.api()).get("/v1/usage").then().statusCode(401);
    }

    @Test
    void aReportWithARolledAwayTokenIsChargedAndClosesItsOpenTunnel() throws SQLException {
        Relay relay = Relay.create("late-roll", Map.of("dayLimit", 10_000));
        String tunnel = relay.open();
        relay.lease(tunnel, null, null).then().statusCode(200);
        as(relay.service()).body(Map.of()).post("/admin/accounts/" + relay.slug() + "/tokens/" + tokenId(relay) + "/roll")
                .then().statusCode(201);
        as(relay.service()).get("/v1/tunnels/" + tunnel).then().body("closedAt", equalTo(null));

        relay.lease(tunnel, 20L, null).then().statusCode(410).body("reason", equalTo("revoked"));
        as(relay.service()).get("/v1/tunnels/" + tunnel).then().body("closeReason", equalTo("revoked"))
                .body("consumed", equalTo(20)).body("held", equalTo(0));
        as(relay.service()).get("/v1/usage").then().body("day.used", equalTo(1 + 20)).body("day.leased", equalTo(0));
    }

    @Test
    void lateReportsAreAcceptedOnlyForTheStaleWindowAfterTheClose() throws SQLException {
        Relay relay = Relay.create("late-window", Map.of("dayLimit", 10_000));
        String tunnel = relay.open();
        relay.lease(tunnel, null, null).then().statusCode(200);
        relay.close(tunnel, 0).then().statusCode(200);
        sql("update tunnel set closed_at = now() - interval '11 minutes' where tunnel_id = ?", tunnel);
        relay.lease(tunnel, 50L, null).then().statusCode(410);
        assertEquals(1, dayUsed(relay));
        asRoot().queryParam("account", relay.slug()).get("/admin/audit").then()
                .body("entries.find { it.action == 'tunnel.late_report' }.actor.kind", equalTo("api"));
    }

    @Test
    void aStaleTunnelsLateReportIsChargedOnlyBeyondTheLeaseItWasAlreadyCharged() throws SQLException {
        Relay relay = Relay.create("late-stale", Map.of("dayLimit", 10_000));
        String tunnel = relay.open();
        relay.lease(tunnel, null, null).then().statusCode(200);
        sql("update tunnel set last_seen_at = now() - interval '11 minutes' where tunnel_id = ?", tunnel);
        reaper.reap();
        assertEquals(1 + 50, dayUsed(relay));
        relay.lease(tunnel, 80L, null).then().statusCode(410).body("reason", equalTo("stale"));
        assertEquals(1 + 80, dayUsed(relay));
        relay.lease(tunnel, 100L, null).then().statusCode(410);
        assertEquals(1 + 50 + 50, dayUsed(relay), "at most one lease chunk beyond the charged lease");
    }

    private String tokenId(Relay relay) {
        return as(relay.service()).get("/admin/accounts/" + relay.slug() + "/tokens").then().extract()
                .path("tokens.find { it.kind == 'api' && it.revokedAt == null }.id");
    }

    private long dayUsed(Relay relay) throws SQLException {
        return usageColumn(relay, "day_used");
    }

    private long overshoot(Relay relay) throws SQLException {
        return usageColumn(relay, "day_overshoot");
    }

    private long usageColumn(Relay relay, String column) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement("select u." + column
                + " from account_usage u join account a using (account_id) where a.slug = ?")) {
            s.setString(1, relay.slug());
            try (ResultSet row = s.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }

    private void sql(String statement, String tunnel) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(statement)) {
            s.setObject(1, UUID.fromString(tunnel));
            s.executeUpdate();
        }
    }
}
