package dev.sluice.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sluice.money.UsageWindows;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The level rule is written twice, in SQL ({@code usage_level}, which decides webhooks under the credit lock) and
 * in Java ({@link UsageWindows.Counters#level}, for views): this proves the two agree on every boundary.
 */
@QuarkusTest
class LevelRuleTest {

    @Inject
    AgroalDataSource db;

    @Test
    void sqlAndJavaAgreeOnEveryBoundary() throws SQLException {
        long[] limits = { 0, 1, 5, 10, 100, 1_000_000, Long.MAX_VALUE };
        long[] spent = { 0, 1, 4, 5, 7, 8, 9, 10, 11, 80, 99, 100, 800_000, Long.MAX_VALUE };
        try (Connection c = db.getConnection(); PreparedStatement level = c.prepareStatement("""
                select usage_level(jsonb_populate_record(null::account_usage, jsonb_build_object(
                           'day_used', ?::bigint, 'day_leased', ?::bigint,
                           'month_used', ?::bigint, 'month_leased', ?::bigint)), ?, ?)""")) {
            int checked = 0;
            for (long dayLimit : limits) {
                for (long monthLimit : limits) {
                    for (long dayUsed : spent) {
                        for (long monthUsed : new long[] { dayUsed, Math.min(Long.MAX_VALUE, dayUsed * 2) }) {
                            long dayLeased = dayUsed % 3;
                            long monthLeased = dayLeased;
                            level.setLong(1, dayUsed);
                            level.setLong(2, dayLeased);
                            level.setLong(3, monthUsed);
                            level.setLong(4, monthLeased);
                            level.setLong(5, dayLimit);
                            level.setLong(6, monthLimit);
                            try (ResultSet row = level.executeQuery()) {
                                row.next();
                                String java = new UsageWindows.Counters(dayUsed, dayLeased, 0, dayLimit, monthUsed,
                                        monthLeased, 0, monthLimit).level().wire();
                                assertEquals(row.getString(1), java, "day " + dayUsed + "+" + dayLeased + "/"
                                        + dayLimit + ", month " + monthUsed + "+" + monthLeased + "/" + monthLimit);
                                checked++;
                            }
                        }
                    }
                }
            }
            assertEquals(limits.length * limits.length * spent.length * 2, checked);
        }
    }
}
