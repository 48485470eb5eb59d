package dev.sluice.tunnel;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static org.hamcrest.Matchers.equalTo;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;

/** Running totals near 2^63 saturate instead of failing every later lease with a 500. */
@QuarkusTest
class CounterOverflowTest {

    static final long NEAR_MAX = Long.MAX_VALUE - 10;

    @Inject
    AgroalDataSource db;

    @Test
    void totalsSaturateAndEveryAnswerStaysInTheContract() throws SQLException {
        Relay relay = Relay.create("overflow", Map.of("dayLimit", 10_000));
        String tunnel = relay.open();
        relay.lease(tunnel, null, null).then().statusCode(200);
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement("""
                update account_usage set day_used = ?, month_used = ?, day_overshoot = ?, day_ops = ?, bytes_used = ?,
                       day_unbilled = ?
                 where account_id = (select account_id from account where slug = ?)""")) {
            for (int i = 1; i <= 6; i++) {
                s.setLong(i, NEAR_MAX);
            }
            s.setString(7, relay.slug());
            s.executeUpdate();
        }
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "update tunnel set consumed = ?, bytes_in = ? where tunnel_id = cast(? as uuid)")) {
            s.setLong(1, NEAR_MAX);
            s.setLong(2, NEAR_MAX);
            s.setString(3, tunnel);
            s.executeUpdate();
        }
        relay.lease(tunnel, 1_000_000_000_000L, null).then().statusCode(429).body("code", equalTo("QUOTA_EXCEEDED"));
        relay.lease(tunnel, 1_000_000_000_000L, null).then().statusCode(429);
        as(relay.api()).body(Map.of("consumed", 1_000_000_000_000L, "bytesIn", 1_000_000_000_000L))
                .post("/v1/tunnels/" + tunnel + "/close").then().statusCode(200);
        as(relay.api()).get("/v1/usage").then().statusCode(200).body("day.used", equalTo(Long.MAX_VALUE))
                .body("day.unbilled", equalTo(Long.MAX_VALUE)).body("level", equalTo("exceeded"));
        as(relay.service()).get("/v1/tunnels/" + tunnel).then().statusCode(200)
                .body("consumed", equalTo(Long.MAX_VALUE));
        asRoot().get("/admin/usage").then().statusCode(200);
    }
}
