package dev.sluice.tunnel;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.sluice.web.SluiceException;

/**
 * Credit windows as responses show them, and the rate-limit answers of §5: the IETF {@code RateLimit-*} headers
 * and the 429 {@code QUOTA_EXCEEDED} with {@code Retry-After}.
 */
public final class UsageWindows {

    private static final BigInteger FOUR = BigInteger.valueOf(4);
    private static final BigInteger FIVE = BigInteger.valueOf(5);

    private UsageWindows() {
    }

    public record Window(long used, long leased, long limit, long remaining, long pct, Instant resetAt) {

        /** {@code remaining} is {@code limit - used - leased} as §1 defines it: negative after an overshoot. */
        static Window of(long used, long leased, long limit, Instant resetAt) {
            long pct = limit <= 0 ? 100 : Math.round((used + leased) * 100.0 / limit);
            return new Window(used, leased, limit, limit - used - leased, pct, resetAt);
        }
    }

    /** The account as a relay sees it in registration and lease responses. */
    public record Snapshot(String slug, String plan, String level, Window day, Window month) {
    }

    /** Raw numbers from the credit functions; turned into windows and headers here. */
    public record Counters(long dayUsed, long dayLeased, long dayLimit, long monthUsed, long monthLeased,
            long monthLimit) {

        /**
         * The level of §1, as usage_level computes it in SQL: exceeded when a window has nothing left, else warn
         * from 80 % of the binding window (the one with less remaining), else ok. Exact: x ≥ 80 % of limit is
         * 5x ≥ 4·limit, done in BigInteger so no counter can overflow it.
         */
        public String level() {
            long dayLeft = dayLimit - dayUsed - dayLeased;
            long monthLeft = monthLimit - monthUsed - monthLeased;
            if (dayLeft <= 0 || monthLeft <= 0) {
                return "exceeded";
            }
            boolean day = dayLeft <= monthLeft;
            BigInteger spent = BigInteger.valueOf(day ? dayUsed : monthUsed)
                    .add(BigInteger.valueOf(day ? dayLeased : monthLeased));
            BigInteger limit = BigInteger.valueOf(day ? dayLimit : monthLimit);
            return spent.multiply(FIVE).compareTo(limit.multiply(FOUR)) >= 0 ? "warn" : "ok";
        }

        public Snapshot snapshot(String slug, String plan, String level, Instant now) {
            return new Snapshot(slug, plan, level, Window.of(dayUsed, dayLeased, dayLimit, nextDay(now)),
                    Window.of(monthUsed, monthLeased, monthLimit, nextMonth(now)));
        }

        long remaining() {
            return Math.max(0, Math.min(dayLimit - dayUsed - dayLeased, monthLimit - monthUsed - monthLeased));
        }

        Map<String, String> headers(Instant now) {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("RateLimit-Limit", Long.toString(dayLimit));
            headers.put("RateLimit-Remaining", Long.toString(remaining()));
            headers.put("RateLimit-Reset", Long.toString(secondsUntil(now, nextDay(now))));
            return headers;
        }

        SluiceException quotaExceeded(String scope, Instant resetsAt, Instant now) {
            long retryAfter = secondsUntil(now, resetsAt == null ? nextDay(now) : resetsAt);
            Map<String, Object> extras = new LinkedHashMap<>();
            extras.put("error", "quota_exceeded");
            extras.put("scope", scope);
            extras.put("retryAfter", retryAfter);
            Map<String, String> headers = headers(now);
            headers.put("Retry-After", Long.toString(retryAfter));
            return new SluiceException(429, "QUOTA_EXCEEDED", "No credits remain in the " + scope + " window.",
                    extras, headers);
        }
    }

    public static Instant nextDay(Instant now) {
        return LocalDate.ofInstant(now, ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    public static Instant nextMonth(Instant now) {
        return LocalDate.ofInstant(now, ZoneOffset.UTC).withDayOfMonth(1).plusMonths(1).atStartOfDay(ZoneOffset.UTC)
                .toInstant();
    }

    /** Whole seconds, rounded up and at least 1, so a client that waits that long finds the window open. */
    static long secondsUntil(Instant now, Instant then) {
        long millis = Duration.between(now, then).toMillis();
        return Math.max(1, (millis + 999) / 1000);
    }
}
