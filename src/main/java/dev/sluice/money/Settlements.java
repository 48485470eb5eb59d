package dev.sluice.money;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;
import jakarta.transaction.Transactional;

import dev.sluice.SqlValues;
import dev.sluice.account.Account;
import dev.sluice.web.RequestIds;
import io.agroal.api.AgroalDataSource;

/**
 * The money core's calls into SQL (db/functions/R__settlement.sql): a batch of settlements, a registration's charge,
 * the closes that return what tunnels held, the reapers' closes. Every one of them takes the account's credit lock
 * inside the database; results are read by column name into this package's records and enums. The methods that
 * take the lock for a caller's transaction are reached through a {@link CreditLock} only.
 */
@ApplicationScoped
public class Settlements {

    private static final String SETTLE = "select s.ordinal, (s.result).* from "
            + "settle_tunnels(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) s";

    @Inject
    EntityManager em;
    @Inject
    AgroalDataSource db;

    /**
     * One account's settlements as one {@code settle_tunnels} statement, on a connection of its own in autocommit
     * (the statement is its own transaction); the answers in the calls' order.
     */
    Settlement[] settle(long accountId, List<SettleCall> calls, long lateReportSeconds) throws SQLException {
        try (Connection connection = db.getConnection()) {
            return settle(connection, accountId, calls, lateReportSeconds);
        }
    }

    /**
     * The statement itself on the caller's connection. Outside this package only the tests that call the SQL
     * functions without the service use it; the service settles through {@link AccountTurns}.
     */
    public static Settlement[] settle(Connection connection, long accountId, List<SettleCall> calls,
            long lateReportSeconds) throws SQLException {
        Settlement[] results = new Settlement[calls.size()];
        try (PreparedStatement statement = connection.prepareStatement(SETTLE)) {
            int size = calls.size();
            UUID[] tunnels = new UUID[size];
            UUID[] tokens = new UUID[size];
            Long[] consumed = new Long[size];
            Long[] want = new Long[size];
            Long[] bytesIn = new Long[size];
            Long[] bytesOut = new Long[size];
            Boolean[] close = new Boolean[size];
            String[] keys = new String[size];
            String[] requestIds = new String[size];
            for (int i = 0; i < size; i++) {
                SettleCall call = calls.get(i);
                tunnels[i] = call.tunnelId();
                tokens[i] = call.tokenId();
                consumed[i] = call.consumed();
                want[i] = call.want();
                bytesIn[i] = call.bytesIn();
                bytesOut[i] = call.bytesOut();
                close[i] = call.close();
                keys[i] = call.key();
                requestIds[i] = call.requestId();
            }
            statement.setLong(1, accountId);
            statement.setArray(2, connection.createArrayOf("uuid", tunnels));
            statement.setArray(3, connection.createArrayOf("uuid", tokens));
            statement.setArray(4, connection.createArrayOf("bigint", consumed));
            statement.setArray(5, connection.createArrayOf("bigint", want));
            statement.setArray(6, connection.createArrayOf("bigint", bytesIn));
            statement.setArray(7, connection.createArrayOf("bigint", bytesOut));
            statement.setArray(8, connection.createArrayOf("boolean", close));
            statement.setArray(9, connection.createArrayOf("text", keys));
            statement.setArray(10, connection.createArrayOf("text", requestIds));
            statement.setLong(11, lateReportSeconds);
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    results[row.getInt("ordinal") - 1] = settlement(row);
                }
            }
        }
        return results;
    }

    @Transactional(Transactional.TxType.MANDATORY)
    Account lockCredits(long accountId) {
        em.createNativeQuery("select (lock_usage(:account)).account_id").setParameter("account", accountId)
                .getSingleResult();
        return Account.findById(accountId);
    }

    @Transactional(Transactional.TxType.MANDATORY)
    RegistrationCharge chargeRegistration(long accountId, UUID tokenId) {
        Tuple charged = (Tuple) em.createNativeQuery(
                "select * from charge_registration(:account, cast(:token as uuid), :request)", Tuple.class)
                .setParameter("account", accountId).setParameter("token", tokenId)
                .setParameter("request", RequestIds.current()).getSingleResult();
        return new RegistrationCharge(charged.get("scope", String.class),
                UsageLevel.of(charged.get("level", String.class)),
                new UsageWindows.Counters(number(charged, "day_used"), number(charged, "day_leased"),
                        number(charged, "day_unbilled"), number(charged, "day_limit"), number(charged, "month_used"),
                        number(charged, "month_leased"), number(charged, "month_unbilled"),
                        number(charged, "month_limit")),
                SqlValues.instant(charged.get("resets_at")), SqlValues.instant(charged.get("decided_at")),
                charged.get("budget_id", UUID.class), nullableNumber(charged, "budget_remaining"));
    }

    @Transactional(Transactional.TxType.MANDATORY)
    int closeOpen(long accountId, UUID tokenId, CloseReason reason) {
        return em.createNativeQuery("select tunnel_id from close_tunnels(:account, null, :token, :reason, false, null)")
                .setParameter("account", accountId).setParameter("token", tokenId)
                .setParameter("reason", reason.wire()).getResultList().size();
    }

    @Transactional(Transactional.TxType.MANDATORY)
    int closeExcess(long accountId, int cap) {
        return em.createNativeQuery("select tunnel_id from close_tunnels(:account, "
                + "array(select tunnel_id from excess_tunnels(:account, :cap)), null, :reason, false, null)")
                .setParameter("account", accountId).setParameter("cap", cap)
                .setParameter("reason", CloseReason.PLAN_DOWNGRADE.wire()).getResultList().size();
    }

    /**
     * A reaper's close of one account's idle or stale tunnels, in the caller's transaction, if no one holds the
     * account's credit lock ({@code SKIP LOCKED}: the next round takes it); close_tunnels checks idleness again under
     * the lock. What they held goes back to the pool, or is charged as used when {@code chargeHeld}.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public int reapIfFree(long accountId, CloseReason reason, boolean chargeHeld, long idleSeconds) {
        if (em.createNativeQuery("select account_id from account_usage where account_id = :account "
                + "for update skip locked").setParameter("account", accountId).getResultList().isEmpty()) {
            return 0;
        }
        return em.createNativeQuery(
                "select tunnel_id from close_tunnels(:account, null, null, :reason, :charge, :idle)")
                .setParameter("account", accountId).setParameter("reason", reason.wire())
                .setParameter("charge", chargeHeld).setParameter("idle", idleSeconds).getResultList().size();
    }

    /**
     * Rolls the ended day of every account whose usage row still holds one into usage_daily, each in a transaction of
     * its own under its credit lock ({@code roll_usage}), so that every day before the database's today is in
     * usage_daily; answers that today (UTC), which the rolls were judged by. The accounts are read first, from every
     * shard; each roll then touches one account. One connection, in autocommit.
     */
    public LocalDate rollEndedDays() {
        try (Connection connection = db.getConnection()) {
            LocalDate today;
            try (PreparedStatement clock = connection.prepareStatement(
                    "select (now() at time zone 'utc')::date as today"); ResultSet row = clock.executeQuery()) {
                row.next();
                today = row.getObject("today", LocalDate.class);
            }
            List<Long> accounts = new ArrayList<>();
            try (PreparedStatement ended = connection.prepareStatement(
                    "select account_id from account_usage where day_start < ?")) {
                ended.setObject(1, today);
                try (ResultSet row = ended.executeQuery()) {
                    while (row.next()) {
                        accounts.add(row.getLong("account_id"));
                    }
                }
            }
            try (PreparedStatement roll = connection.prepareStatement("select roll_usage(?)")) {
                for (long account : accounts) {
                    roll.setLong(1, account);
                    roll.execute();
                }
            }
            return today;
        } catch (SQLException e) {
            throw new IllegalStateException("rolling ended days failed", e);
        }
    }

    private static Settlement settlement(ResultSet row) throws SQLException {
        return new Settlement(SettleOutcome.of(row.getString("outcome")), row.getLong("granted"), row.getLong("held"),
                row.getLong("returned"), CloseReason.of(row.getString("close_reason")), row.getString("scope"),
                UsageLevel.of(row.getString("level")), row.getString("plan"), instant(row.getTimestamp("resets_at")),
                instant(row.getTimestamp("decided_at")), row.getString("request_id"), row.getBoolean("replayed"),
                row.getBoolean("late_refused"), row.getLong("unbilled"), row.getBoolean("capped"),
                UsageWindows.Counters.of(row), row.getObject("budget_id", UUID.class),
                row.getObject("budget_remaining", Long.class), row.getLong("charged"));
    }

    private static long number(Tuple tuple, String column) {
        return SqlValues.number(tuple.get(column));
    }

    private static Long nullableNumber(Tuple tuple, String column) {
        return tuple.get(column) == null ? null : number(tuple, column);
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
