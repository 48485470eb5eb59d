package dev.sluice.money;

import java.math.BigInteger;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import dev.sluice.web.ErrorCode;
import dev.sluice.web.SluiceException;

/**
 * Credit windows as responses show them, and the rate-limit answers: the IETF {@code RateLimit-*} headers
 * and the 429 {@code QUOTA_EXCEEDED} with {@code Retry-After}.
 */
public final class UsageWindows {

    private static final BigInteger FOUR = BigInteger.valueOf(4);
    private static final BigInteger FIVE = BigInteger.valueOf(5);
    private static final BigInteger TWO = BigInteger.valueOf(2);
    private static final BigInteger HUNDRED = BigInteger.valueOf(100);

    private UsageWindows() {
    }

    /**
     * One window; exact integers, so a saturated account or the sum of all accounts never wraps around.
     * {@code unbilled} is what reports consumed in the window beyond the billing bound (contract §5): served, not
     * charged.
     */
    public record Window(BigInteger used, BigInteger leased, BigInteger unbilled, BigInteger limit,
            BigInteger remaining, long pct, Instant resetAt) {

        /** {@code remaining} is {@code limit - used - leased} as the contract defines it: negative after an overshoot. */
        public static Window of(BigInteger used, BigInteger leased, BigInteger unbilled, BigInteger limit,
                Instant resetAt) {
            BigInteger spent = used.add(leased);
            // pct = round(spent * 100 / limit), half up, in exact arithmetic.
            long pct = limit.signum() <= 0 ? 100
                    : spent.multiply(HUNDRED).multiply(TWO).add(limit).divide(limit.multiply(TWO)).longValue();
            return new Window(used, leased, unbilled, limit, limit.subtract(spent), pct, resetAt);
        }

        static Window of(long used, long leased, long unbilled, long limit, Instant resetAt) {
            return of(BigInteger.valueOf(used), BigInteger.valueOf(leased), BigInteger.valueOf(unbilled),
                    BigInteger.valueOf(limit), resetAt);
        }
    }

    /** The account as a relay sees it in registration and lease responses. */
    public record Snapshot(String slug, String plan, String level, Window day, Window month) {
    }

    /** Raw numbers from the credit functions; turned into windows and headers here. */
    public record Counters(long dayUsed, long dayLeased, long dayUnbilled, long dayLimit, long monthUsed,
            long monthLeased, long monthUnbilled, long monthLimit) {

        /** The counters of a row that names them as the credit functions do ({@code day_used}, ...). */
        public static Counters of(ResultSet row) throws SQLException {
            return new Counters(row.getLong("day_used"), row.getLong("day_leased"), row.getLong("day_unbilled"),
                    row.getLong("day_limit"), row.getLong("month_used"), row.getLong("month_leased"),
                    row.getLong("month_unbilled"), row.getLong("month_limit"));
        }

        /**
         * The level, as usage_level computes it in SQL: exceeded when a window has nothing left, else warn
         * from 80 % of the binding window (the one with less remaining), else ok. Exact: x ≥ 80 % of limit is
         * 5x ≥ 4·limit, done in BigInteger so no counter can overflow it.
         */
        public UsageLevel level() {
            BigInteger dayLeft = left(dayLimit, dayUsed, dayLeased);
            BigInteger monthLeft = left(monthLimit, monthUsed, monthLeased);
            if (dayLeft.signum() <= 0 || monthLeft.signum() <= 0) {
                return UsageLevel.EXCEEDED;
            }
            boolean day = dayLeft.compareTo(monthLeft) <= 0;
            BigInteger spent = BigInteger.valueOf(day ? dayUsed : monthUsed)
                    .add(BigInteger.valueOf(day ? dayLeased : monthLeased));
            BigInteger limit = BigInteger.valueOf(day ? dayLimit : monthLimit);
            return spent.multiply(FIVE).compareTo(limit.multiply(FOUR)) >= 0 ? UsageLevel.WARN : UsageLevel.OK;
        }

        public Snapshot snapshot(String slug, String plan, String level, Instant now) {
            return new Snapshot(slug, plan, level, Window.of(dayUsed, dayLeased, dayUnbilled, dayLimit, nextDay(now)),
                    Window.of(monthUsed, monthLeased, monthUnbilled, monthLimit, nextMonth(now)));
        }

        /** What the binding window has left, at least 0 (a header value, never negative). */
        public long remaining() {
            BigInteger left = left(dayLimit, dayUsed, dayLeased).min(left(monthLimit, monthUsed, monthLeased));
            return left.max(BigInteger.ZERO).longValueExact();
        }

        public Map<String, String> headers(Instant now) {
            return headers(now, null);
        }

        /**
         * The {@code RateLimit-*} headers; {@code budgetRemaining} (null: no blocking budget in the call's scope) is
         * what the tightest blocking budget leaves, and {@code RateLimit-Remaining} the smaller of it and the window's.
         */
        public Map<String, String> headers(Instant now, Long budgetRemaining) {
            long remaining = budgetRemaining == null ? remaining() : Math.min(remaining(), budgetRemaining);
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("RateLimit-Limit", Long.toString(dayLimit));
            headers.put("RateLimit-Remaining", Long.toString(remaining));
            headers.put("RateLimit-Reset", Long.toString(secondsUntil(now, nextDay(now))));
            return headers;
        }

        /**
         * The 429 for a refusal whose {@code scope} names what has nothing left; a budget's names it
         * ({@code budgetId}).
         */
        public SluiceException quotaExceeded(String scope, Instant resetsAt, Instant now, UUID budgetId,
                Long budgetRemaining) {
            long retryAfter = secondsUntil(now, resetsAt == null ? nextDay(now) : resetsAt);
            Map<String, Object> extras = new LinkedHashMap<>();
            extras.put("error", "quota_exceeded");
            extras.put("scope", scope);
            extras.put("retryAfter", retryAfter);
            if (budgetId != null) {
                extras.put("budgetId", budgetId);
            }
            Map<String, String> headers = headers(now, budgetRemaining);
            headers.put("Retry-After", Long.toString(retryAfter));
            String message = switch (scope) {
                case "balance" -> "The prepaid balance has no credits available.";
                case "budget" -> "The budget " + budgetId + " has no credits left in its window.";
                default -> "No credits remain in the " + scope + " window.";
            };
            return new SluiceException(429, ErrorCode.QUOTA_EXCEEDED, message, extras, headers);
        }
    }

    private static BigInteger left(long limit, long used, long leased) {
        return BigInteger.valueOf(limit).subtract(BigInteger.valueOf(used)).subtract(BigInteger.valueOf(leased));
    }

    public static Instant nextDay(Instant now) {
        return LocalDate.ofInstant(now, ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    public static Instant nextMonth(Instant now) {
        return LocalDate.ofInstant(now, ZoneOffset.UTC).withDayOfMonth(1).plusMonths(1).atStartOfDay(ZoneOffset.UTC)
                .toInstant();
    }

    /** Whole seconds, rounded up and at least 1, so a client that waits that long finds the window open. */
    public static long secondsUntil(Instant now, Instant then) {
        long millis = Duration.between(now, then).toMillis();
        return Math.max(1, (millis + 999) / 1000);
    }
}
