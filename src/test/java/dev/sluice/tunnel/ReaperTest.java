package dev.sluice.tunnel;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class ReaperTest {

    @Inject
    TunnelReaper reaper;
    @Inject
    AgroalDataSource db;

    @Test
    void aStaleTunnelIsClosedAndItsHeldLeaseChargedOnce() throws SQLException {
        Relay relay = Relay.create("stale", Map.of("plan", "pro", "dayLimit", 10_000));
        String stale = relay.open();
        String fresh = relay.open();
        relay.lease(stale, null, null).then().body("held", equalTo(50));
        age(stale, "last_seen_at", "11 minutes");
        reaper.reap();
        reaper.reap();
        relay.lease(stale, 0L, null).then().statusCode(410).body("reason", equalTo("stale"));
        asRoot().queryParam("account", relay.slug()).get("/admin/audit").then()
                .body("entries.find { it.action == 'tunnel.reap' }.actor.tokenId", equalTo("reconciler"))
                .body("entries.find { it.action == 'tunnel.reap' }.detail", equalTo("closedTunnels=1 heldCharged=true"));
        relay.lease(fresh, 0L, null).then().statusCode(200)
                .body("account.day.used", equalTo(2 + 50))
                .body("account.day.leased", equalTo(50));
    }

    @Test
    void aFreeTunnelWithoutTrafficForTwoHoursIsClosedAndItsLeaseReturned() throws SQLException {
        Relay free = Relay.create("idle", Map.of("dayLimit", 10_000));
        String tunnel = free.open();
        free.lease(tunnel, null, null).then().body("held", equalTo(50));
        age(tunnel, "last_activity_at", "2 hours 1 minute");
        reaper.reap();
        free.lease(tunnel, 0L, null).then().statusCode(410).body("reason", equalTo("inactive"));
        String next = free.open();
        free.lease(next, null, null).then().body("account.day.used", equalTo(2)).body("account.day.leased", equalTo(50));

        Relay pro = Relay.create("idle-pro", Map.of("plan", "pro", "dayLimit", 10_000));
        String proTunnel = pro.open();
        age(proTunnel, "last_activity_at", "5 hours");
        reaper.reap();
        pro.lease(proTunnel, 0L, null).then().statusCode(200);
        as(pro.api()).get("/v1/tunnels/" + proTunnel).then().body("closedAt", equalTo(null));
    }

    private void age(String tunnel, String column, String interval) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "update tunnel set " + column + " = now() - ?::interval where tunnel_id = ?")) {
            s.setString(1, interval);
            s.setObject(2, UUID.fromString(tunnel));
            assertEquals(1, s.executeUpdate());
        }
    }
}
