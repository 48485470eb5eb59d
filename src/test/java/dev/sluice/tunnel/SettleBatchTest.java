package dev.sluice.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * One {@code settle_tunnels} statement decides its calls in order, each on what the calls before it did, although
 * it reads and writes every row once: the same tunnel twice, a key used twice in one batch, a close followed by a
 * late report, an unknown tunnel, a dead token.
 */
@QuarkusTest
class SettleBatchTest {

    @Inject
    AgroalDataSource db;

    private record Call(UUID tunnel, long consumed, boolean close, String key, UUID token) {

        Call(UUID tunnel, long consumed, boolean close, String key) {
            this(tunnel, consumed, close, key, null);
        }
    }

    @Test
    void everyCallInABatchSeesTheCallsBeforeIt() throws Exception {
        Relay relay = Relay.create("batch-order", Map.of("plan", "pro", "dayLimit", 10_000));
        UUID a = UUID.fromString(relay.open());
        UUID b = UUID.fromString(relay.open());
        long account = single("select account_id from account where slug = '" + relay.slug() + "'");

        List<Call> calls = List.of(
                new Call(a, 0, false, null),
                new Call(a, 10, false, "k1"),
                new Call(a, 10, false, "k1"),
                new Call(a, 11, false, "k1"),
                new Call(b, 5, true, null),
                new Call(b, 7, false, null),
                new Call(UUID.randomUUID(), 1, false, null));
        List<String> answers = settle(account, calls);

        assertEquals(List.of(
                "ok granted=50 held=50 replayed=false",
                "ok granted=50 held=90 replayed=false",
                "ok granted=50 held=90 replayed=true",
                "idempotency_conflict granted=0 held=0 replayed=false",
                "ok granted=0 held=0 replayed=false",
                "closed granted=0 held=0 replayed=false",
                "not_found granted=0 held=0 replayed=false"), answers);
        // Two registrations (1 each), 10 consumed on a, 5 at b's close and 7 late: 24 used; a holds 90.
        assertEquals(24, single("select day_used from account_usage where account_id = " + account));
        assertEquals(90, single("select day_leased from account_usage where account_id = " + account));
        assertEquals(90, single("select held from tunnel where tunnel_id = '" + a + "'"));
        assertEquals(10, single("select consumed from tunnel where tunnel_id = '" + a + "'"));
        assertEquals(12, single("select consumed from tunnel where tunnel_id = '" + b + "' and closed_at is not null"));
        assertEquals(7, single("select late_consumed from tunnel where tunnel_id = '" + b + "'"));
        assertEquals(0, single("select unbilled from tunnel where tunnel_id = '" + b + "'"));
        assertEquals(1, single("select count(*) from idempotency_key where account_id = " + account));
    }

    @Test
    void aDeadTokenReportsOnItsOwnTunnelsOnly() throws Exception {
        Relay relay = Relay.create("batch-dead", Map.of("plan", "pro", "dayLimit", 10_000));
        UUID own = UUID.fromString(relay.open());
        long account = single("select account_id from account where slug = '" + relay.slug() + "'");
        UUID token;
        try (Connection c = db.getConnection(); ResultSet row = c.createStatement().executeQuery(
                "select token_id from api_token where kind = 'api' and account_id = " + account)) {
            row.next();
            token = row.getObject(1, UUID.class);
        }
        try (Connection c = db.getConnection()) {
            c.createStatement().execute("update api_token set revoked_at = now() where token_id = '" + token + "'");
        }

        List<String> answers = settle(account, List.of(
                new Call(UUID.randomUUID(), 1, false, null, token),
                new Call(own, 3, false, null, token)));

        assertEquals(List.of(
                "unauthorized granted=0 held=0 replayed=false",
                "closed granted=0 held=0 replayed=false"), answers);
        // The registration's credit and the 3 its own tunnel reported; the tunnel closed as revoked.
        assertEquals(4, single("select day_used from account_usage where account_id = " + account));
        assertEquals(1, single("select count(*) from tunnel where close_reason = 'revoked' and tunnel_id = '" + own + "'"));
    }

    private List<String> settle(long account, List<Call> calls) throws Exception {
        int n = calls.size();
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "select s.ordinal, (s.result).* from settle_tunnels(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) s order by 1")) {
            s.setLong(1, account);
            s.setArray(2, c.createArrayOf("uuid", calls.stream().map(Call::tunnel).toArray()));
            s.setArray(3, c.createArrayOf("uuid", calls.stream().map(Call::token).toArray()));
            s.setArray(4, c.createArrayOf("bigint", calls.stream().map(Call::consumed).toArray()));
            s.setArray(5, c.createArrayOf("bigint", new Long[n]));
            Long[] zeros = new Long[n];
            java.util.Arrays.fill(zeros, 0L);
            s.setArray(6, c.createArrayOf("bigint", zeros));
            s.setArray(7, c.createArrayOf("bigint", zeros));
            s.setArray(8, c.createArrayOf("boolean", calls.stream().map(Call::close).toArray()));
            s.setArray(9, c.createArrayOf("text", calls.stream().map(Call::key).toArray()));
            s.setArray(10, c.createArrayOf("text", new String[n]));
            s.setLong(11, 600);
            List<String> answers = new ArrayList<>();
            try (ResultSet row = s.executeQuery()) {
                while (row.next()) {
                    answers.add(row.getString("outcome") + " granted=" + row.getLong("granted") + " held="
                            + row.getLong("held") + " replayed=" + row.getBoolean("replayed"));
                }
            }
            return answers;
        }
    }

    private long single(String query) throws Exception {
        try (Connection c = db.getConnection(); ResultSet row = c.createStatement().executeQuery(query)) {
            row.next();
            return row.getLong(1);
        }
    }
}
