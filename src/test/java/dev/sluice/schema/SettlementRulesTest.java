package dev.sluice.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sluice.money.CloseReason;
import dev.sluice.money.SettleCall;
import dev.sluice.money.SettleOutcome;
import dev.sluice.money.Settlement;
import dev.sluice.money.Settlements;
import dev.sluice.money.UsageLevel;

/**
 * The settlement's rules, case by case, on the SQL functions themselves (db/functions/R__settlement.sql): a migrated
 * database of the test's own, accounts and tunnels written as rows, {@code settle_tunnels} called through the
 * service's own statement and row mapping ({@link Settlements#settle}) and {@code charge_registration} through JDBC.
 * Seconds, without the service; the HTTP tests prove the same rules through the contract.
 */
class SettlementRulesTest {

    private static final long LATE_SECONDS = 60;
    private static final AtomicLong NEXT_ACCOUNT = new AtomicLong(1000);

    static ScratchDatabase database;
    static Connection connection;

    @BeforeAll
    static void migrate() throws SQLException {
        database = ScratchDatabase.create("sluice_settlement_rules").migrated();
        connection = database.connect();
    }

    @AfterAll
    static void drop() throws SQLException {
        connection.close();
        database.close();
    }

    /** Calls of a batch as the service makes them; want null is the lease chunk. */
    record Call(UUID tunnel, UUID token, long consumed, Long want, boolean close, String key) {
        static Call lease(UUID tunnel, long consumed, Long want) {
            return new Call(tunnel, null, consumed, want, false, null);
        }

        static Call close(UUID tunnel, long consumed) {
            return new Call(tunnel, null, consumed, null, true, null);
        }

        Call withKey(String idempotencyKey) {
            return new Call(tunnel, token, consumed, want, close, idempotencyKey);
        }

        Call by(UUID apiToken) {
            return new Call(tunnel, apiToken, consumed, want, close, key);
        }

        SettleCall of(long account) {
            return new SettleCall(account, tunnel, token, consumed, want, 0, 0, close, key, null);
        }
    }

    @Test
    void aLeaseGrantsTheLeastOfWantChunkAndWhatTheWindowsHaveLeft() throws SQLException {
        long account = account(1_000, 100_000, 50);
        UUID tunnel = tunnel(account);
        Settlement first = settle(account, Call.lease(tunnel, 0, null)).get(0);
        assertEquals(SettleOutcome.OK, first.outcome());
        assertEquals(50, first.granted(), "the chunk when want is not given");
        assertEquals(50, first.held());
        assertEquals(50, first.counters().dayLeased());
        assertEquals(20, settle(account, Call.lease(tunnel, 0, 20L)).get(0).granted(), "want below the chunk");
        assertEquals(50, settle(account, Call.lease(tunnel, 0, 500L)).get(0).granted(), "never above the chunk");
        long account2 = account(30, 100_000, 50);
        assertEquals(30, settle(account2, Call.lease(tunnel(account2), 0, null)).get(0).granted(),
                "never above what the day has left");
    }

    @Test
    void consumptionMovesFromLeasedToUsedAndOneChunkBeyondTheHoldIsStillBilled() throws SQLException {
        long account = account(1_000, 100_000, 50);
        UUID tunnel = tunnel(account);
        settle(account, Call.lease(tunnel, 0, null));
        Settlement reported = settle(account, Call.lease(tunnel, 30, 0L)).get(0);
        assertEquals(30, reported.counters().dayUsed());
        assertEquals(20, reported.held(), "what was not consumed stays held");
        Settlement over = settle(account, Call.lease(tunnel, 70, 0L)).get(0);
        assertEquals(100, over.counters().dayUsed(), "the 50 beyond the hold are billed too");
        assertEquals(0, over.held());
        assertEquals(50, longOf("account_usage", "day_overshoot", account));
        assertEquals(50, longOf("account_usage", "month_overshoot", account));
        Settlement capped = settle(account, Call.lease(tunnel, 80, 0L)).get(0);
        assertEquals(150, capped.counters().dayUsed(), "one chunk of overshoot per report");
        assertEquals(30, capped.unbilled());
        assertEquals(30, capped.counters().dayUnbilled());
        assertTrue(capped.capped(), "the tunnel's first capped report of the day");
        assertFalse(settle(account, Call.lease(tunnel, 80, 0L)).get(0).capped(), "audited once a day");
    }

    @Test
    void anExhaustedDayAnswersQuotaWithItsScopeAndWhenItOpensAgain() throws SQLException {
        long account = account(60, 100_000, 50);
        UUID tunnel = tunnel(account);
        assertEquals(50, settle(account, Call.lease(tunnel, 0, null)).get(0).granted());
        assertEquals(10, settle(account, Call.lease(tunnel, 0, null)).get(0).granted(), "the day's last 10");
        Settlement refused = settle(account, Call.lease(tunnel, 60, null)).get(0);
        assertEquals(SettleOutcome.QUOTA, refused.outcome());
        assertEquals("day", refused.scope());
        assertEquals(0, refused.granted());
        assertEquals(UsageLevel.EXCEEDED, refused.level());
        assertEquals(LocalDate.now(ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant(),
                refused.resetsAt());
    }

    @Test
    void aCloseReturnsWhatIsStillHeld() throws SQLException {
        long account = account(1_000, 100_000, 50);
        UUID tunnel = tunnel(account);
        settle(account, Call.lease(tunnel, 0, null));
        Settlement closed = settle(account, Call.close(tunnel, 15)).get(0);
        assertEquals(SettleOutcome.OK, closed.outcome());
        assertEquals(CloseReason.CLOSED, closed.closeReason());
        assertEquals(35, closed.returned());
        assertEquals(0, closed.held());
        assertEquals(15, closed.counters().dayUsed());
        assertEquals(0, closed.counters().dayLeased());
    }

    @Test
    void aLateReportIsBilledUpToWhatTheTunnelHeldPlusOneChunkAndNoMore() throws SQLException {
        long account = account(10_000, 100_000, 50);
        UUID tunnel = tunnel(account);
        settle(account, Call.lease(tunnel, 0, null));
        settle(account, Call.close(tunnel, 0)); // 50 held at close
        Settlement late = settle(account, Call.lease(tunnel, 80, null)).get(0);
        assertEquals(SettleOutcome.CLOSED, late.outcome());
        assertFalse(late.lateRefused());
        assertEquals(80, late.counters().dayUsed());
        Settlement capped = settle(account, Call.lease(tunnel, 500, null)).get(0);
        assertTrue(capped.lateRefused(), "beyond held at close plus one chunk");
        assertEquals(100, capped.counters().dayUsed(), "50 held at close + one chunk of 50, in all");
    }

    @Test
    void aLateReportAfterTheWindowIsRefusedAndBillsNothing() throws SQLException {
        long account = account(10_000, 100_000, 50);
        UUID tunnel = tunnel(account);
        settle(account, Call.close(tunnel, 0));
        update("update tunnel set closed_at = now() - interval '" + (LATE_SECONDS + 1) + " seconds'"
                + " where account_id = ? and tunnel_id = '" + tunnel + "'", account);
        Settlement late = settle(account, Call.lease(tunnel, 40, null)).get(0);
        assertEquals(SettleOutcome.CLOSED, late.outcome());
        assertTrue(late.lateRefused());
        assertEquals(0, late.counters().dayUsed());
    }

    @Test
    void aRetriedKeyIsAnsweredAgainAndAnotherRequestUnderItConflicts() throws SQLException {
        long account = account(1_000, 100_000, 50);
        UUID tunnel = tunnel(account);
        Settlement first = settle(account, Call.lease(tunnel, 0, null).withKey("k-1")).get(0);
        Settlement again = settle(account, Call.lease(tunnel, 0, null).withKey("k-1")).get(0);
        assertTrue(again.replayed());
        assertEquals(first.granted(), again.granted());
        assertEquals(50, longOf("account_usage", "day_leased", account),
                "charged once");
        assertEquals(SettleOutcome.IDEMPOTENCY_CONFLICT,
                settle(account, Call.lease(tunnel, 5, null).withKey("k-1")).get(0).outcome());
    }

    @Test
    void aRevokedTokenReportsOnItsOwnTunnelsOnlyWhichCloseAsRevoked() throws SQLException {
        long account = account(1_000, 100_000, 50);
        UUID token = token(account);
        UUID own = tunnel(account, token);
        UUID other = tunnel(account, token(account));
        settle(account, Call.lease(own, 0, null).by(token));
        update("update api_token set revoked_at = now() where account_id = ? and token_id = '" + token + "'", account);
        List<Settlement> batch = settle(account, Call.lease(own, 10, null).by(token), Call.lease(other, 0, null).by(token));
        assertEquals(SettleOutcome.CLOSED, batch.get(0).outcome());
        assertEquals(CloseReason.REVOKED, batch.get(0).closeReason());
        assertEquals(40, batch.get(0).returned());
        assertEquals(10, batch.get(0).counters().dayUsed(), "what it consumed is billed");
        assertEquals(SettleOutcome.UNAUTHORIZED, batch.get(1).outcome());
    }

    @Test
    void anUnknownTunnelOrAccountIsNotFound() throws SQLException {
        long account = account(1_000, 100_000, 50);
        assertEquals(SettleOutcome.NOT_FOUND, settle(account, Call.lease(UUID.randomUUID(), 0, null)).get(0).outcome());
        long other = account(1_000, 100_000, 50);
        assertEquals(SettleOutcome.NOT_FOUND, settle(account, Call.lease(tunnel(other), 0, null)).get(0).outcome(),
                "another account's tunnel");
    }

    @Test
    void eachCallOfABatchSeesWhatTheCallsBeforeItDid() throws SQLException {
        long account = account(70, 100_000, 50);
        UUID first = tunnel(account);
        UUID second = tunnel(account);
        List<Settlement> batch = settle(account, Call.lease(first, 0, null), Call.lease(second, 0, null),
                Call.close(first, 0), Call.lease(second, 0, null));
        assertEquals(List.of(50L, 20L, 0L, 50L), batch.stream().map(Settlement::granted).toList(),
                "the second sees the first's hold; after its close the day has room again");
        assertEquals(70, longOf("account_usage", "day_leased", account));
    }

    @Test
    void aRegistrationCostsOneCreditUnderTheSameLock() throws SQLException {
        long account = account(1_000, 100_000, 50);
        try (PreparedStatement s = connection.prepareStatement("select * from charge_registration(?, null::uuid, null)")) {
            s.setLong(1, account);
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next());
            }
        }
        assertEquals(1, longOf("account_usage", "day_used", account));
        assertEquals(1, longOf("account_usage", "day_tunnels", account));
    }

    @Test
    void theFirstCallOfANewDayKeepsTheClosedDayAndStartsAtZero() throws SQLException {
        long account = account(1_000, 100_000, 50);
        UUID tunnel = tunnel(account);
        settle(account, Call.lease(tunnel, 0, null));
        settle(account, Call.lease(tunnel, 30, 0L));
        update("update account_usage set day_start = day_start - 1 where account_id = ?", account);
        Settlement next = settle(account, Call.lease(tunnel, 0, 0L)).get(0);
        assertEquals(0, next.counters().dayUsed(), "the new day starts at zero");
        assertEquals(20, next.counters().dayLeased(), "what is held stays leased");
        assertEquals(30, longOf("usage_daily", "credit", account));
    }

    /** One batch through the service's own statement and mapping (money.Settlements), on the test's connection. */
    private static List<Settlement> settle(long account, Call... calls) throws SQLException {
        List<Settlement> rows = List.of(Settlements.settle(connection, account,
                Stream.of(calls).map(call -> call.of(account)).toList(), LATE_SECONDS));
        assertEquals(calls.length, rows.size(), "one answer per call");
        rows.forEach(row -> assertNotNull(row, "every call answered"));
        return rows;
    }

    /** An account with limits in credits, and its usage row as account creation writes it. */
    @Test
    void aBatchKeepsWhatABudgetsScopeHoldsCallByCall() throws SQLException {
        long account = account(100_000, 1_000_000, 50);
        UUID capped = token(account);
        UUID free = token(account);
        UUID first = tunnel(account, capped);
        UUID second = tunnel(account, capped);
        UUID other = tunnel(account, free);
        UUID budget = budget(account, capped, 120, "block");
        List<Settlement> batch = settle(account, Call.lease(first, 0, null).by(capped),
                Call.lease(second, 0, null).by(capped), Call.lease(other, 0, null).by(free),
                Call.lease(first, 0, null).by(capped), Call.lease(second, 0, null).by(capped));
        assertEquals(List.of(50L, 50L, 50L, 20L, 0L), batch.stream().map(Settlement::granted).toList(),
                "120 less what the token's two tunnels already hold, call by call");
        assertEquals("budget", batch.get(4).scope());
        assertEquals(budget, batch.get(4).budgetId());
        assertEquals(0L, batch.get(4).budgetRemaining());
        assertEquals(null, batch.get(2).budgetRemaining(), "the other token has no blocking budget");
        // Reports that stay within what was held bill exactly the limit, and no further.
        settle(account, Call.lease(first, 70, 0L).by(capped), Call.lease(second, 50, 0L).by(capped));
        assertEquals(120, budgetSpent(account));
        assertEquals(SettleOutcome.QUOTA, settle(account, Call.lease(first, 0, null).by(capped)).get(0).outcome());
        assertEquals(120, tokenCredits(account, capped));
    }

    @Test
    void aStaleTunnelsHeldLeaseIsChargedToItsTokensBudgetsAndDayTotals() throws SQLException {
        long account = account(100_000, 1_000_000, 50);
        UUID token = token(account);
        UUID tunnel = tunnel(account, token);
        budget(account, token, 1_000, "notify");
        settle(account, Call.lease(tunnel, 0, null).by(token));
        update("update tunnel set last_seen_at = now() - interval '1 hour' where account_id = ?", account);
        try (PreparedStatement s = connection.prepareStatement(
                "select count(*) from close_tunnels(?, null, null, 'stale', true, 60)")) {
            s.setLong(1, account);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                assertEquals(1, r.getInt(1));
            }
        }
        assertEquals(50, budgetSpent(account), "the held lease, charged as used");
        assertEquals(50, tokenCredits(account, token));
        assertEquals(50, longOf("account_usage", "day_used", account));
    }

    private static UUID budget(long account, UUID token, long limit, String action) throws SQLException {
        UUID id = UUID.randomUUID();
        try (PreparedStatement s = connection.prepareStatement(
                "select add_budget(?, ?, null, ?, 'day', ?, ?, '[]', 50)")) {
            s.setLong(1, account);
            s.setObject(2, id);
            s.setObject(3, token);
            s.setLong(4, limit);
            s.setString(5, action);
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next() && r.getBoolean(1), "the budget was not created");
            }
        }
        return id;
    }

    /** What the account's one budget has spent in its window, as the API shows it. */
    private static long budgetSpent(long account) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("select spent from budget_views(?)")) {
            s.setLong(1, account);
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next(), "the account has no budget");
                return r.getLong("spent");
            }
        }
    }

    private static long tokenCredits(long account, UUID token) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(
                "select coalesce(sum(credit), 0) from token_daily where account_id = ? and token_id = ?")) {
            s.setLong(1, account);
            s.setObject(2, token);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    private static long account(long dayLimit, long monthLimit, long leaseChunk) throws SQLException {
        long id = NEXT_ACCOUNT.incrementAndGet();
        String slug = "rules-" + id;
        try (PreparedStatement s = connection.prepareStatement("""
                insert into account (account_id, slug, plan, day_limit, month_limit, concurrent_max, lease_chunk)
                values (?, ?, 'pro', ?, ?, 5, ?)""")) {
            s.setLong(1, id);
            s.setString(2, slug);
            s.setLong(3, dayLimit);
            s.setLong(4, monthLimit);
            s.setLong(5, leaseChunk);
            s.executeUpdate();
        }
        update("insert into account_slug (slug, account_id) values ('" + slug + "', ?)", id);
        update("""
                insert into account_usage (account_id, day_start, month_start)
                values (?, (now() at time zone 'utc')::date, date_trunc('month', now() at time zone 'utc')::date)""",
                id);
        return id;
    }

    private static UUID token(long account) throws SQLException {
        UUID id = UUID.randomUUID();
        update("insert into api_token (account_id, token_id, kind, token_hash, last4) values (?, '" + id
                + "', 'api', '" + "0".repeat(56) + id.toString().substring(0, 8) + "', 'abcd')", account);
        return id;
    }

    private static UUID tunnel(long account) throws SQLException {
        return tunnel(account, null);
    }

    private static UUID tunnel(long account, UUID token) throws SQLException {
        UUID id = UUID.randomUUID();
        update("insert into tunnel (account_id, tunnel_id, token_id, subdomain, password_protected) values (?, '" + id
                + "', " + (token == null ? "null" : "'" + token + "'") + ", 't-" + id.toString().substring(0, 8)
                + "', false)", account);
        return id;
    }

    private static void update(String sql, long account) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            s.setLong(1, account);
            s.executeUpdate();
        }
    }

    /** One column of the account's one row in a table. */
    private static long longOf(String table, String column, long account) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(
                "select " + column + " from " + table + " where account_id = ?")) {
            s.setLong(1, account);
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next(), table + " has no row of the account");
                long value = r.getLong(column);
                assertFalse(r.wasNull(), column);
                return value;
            }
        }
    }
}
