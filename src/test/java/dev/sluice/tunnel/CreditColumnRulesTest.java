package dev.sluice.tunnel;

import static dev.sluice.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The schema refuses what no settlement may write, whether its rule is a table CHECK or (since V17) a domain: a
 * negative lease or hold, a close reason or level outside their lists, a close without its reason. And the
 * settlement itself still works on the domain-typed row: a lease, a close and a usage read.
 */
@QuarkusTest
class CreditColumnRulesTest {

    /** PostgreSQL's check_violation, for a table's CHECK and a domain's alike. */
    static final String CHECK_VIOLATION = "23514";

    @Inject
    AgroalDataSource db;

    @Test
    void whatNoSettlementMayWriteIsRefusedAndSettlementsStillWork() throws SQLException {
        Relay relay = Relay.create("column-rules", Map.of("dayLimit", 10_000));
        String tunnel = relay.open();
        relay.lease(tunnel, null, null).then().statusCode(200);

        String ofTunnel = " where tunnel_id = cast(? as uuid)";
        refused("update tunnel set held = -1" + ofTunnel, tunnel);
        refused("update tunnel set closed_at = now(), close_reason = 'bored'" + ofTunnel, tunnel);
        refused("update tunnel set closed_at = now()" + ofTunnel, tunnel);
        String ofAccount = " where account_id = (select account_id from account where slug = ?)";
        refused("update account_usage set day_leased = -1" + ofAccount, relay.slug());
        refused("update account_usage set month_leased = -1" + ofAccount, relay.slug());
        refused("update account_usage set level = 'fine'" + ofAccount, relay.slug());

        relay.lease(tunnel, 10L, null).then().statusCode(200);
        relay.close(tunnel, 5).then().statusCode(200);
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "select held, close_reason from tunnel" + ofTunnel)) {
            s.setString(1, tunnel);
            try (ResultSet row = s.executeQuery()) {
                row.next();
                assertEquals(0, row.getLong(1));
                assertEquals("closed", row.getString(2));
            }
        }
        // The domain-typed usage row read back through the API: the registration's credit and 10 + 5 consumed; the
        // close gave every lease back.
        as(relay.api()).get("/v1/usage").then().statusCode(200).body("day.used", equalTo(16))
                .body("day.leased", equalTo(0)).body("month.leased", equalTo(0)).body("level", equalTo("ok"));
    }

    private void refused(String update, String key) {
        SQLException e = assertThrows(SQLException.class, () -> {
            try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(update)) {
                s.setString(1, key);
                s.executeUpdate();
            }
        }, update);
        assertEquals(CHECK_VIOLATION, e.getSQLState(), update);
    }
}
