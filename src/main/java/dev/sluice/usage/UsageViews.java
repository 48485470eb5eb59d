package dev.sluice.usage;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.sluice.money.UsageWindows;

/** The usage view and its aggregates. */
public final class UsageViews {

    private UsageViews() {
    }

    // Another record has this simple name; its own schema name spares generated clients a numbered one.
    @Schema(name = "UsageUsd")
    public record Usd(BigDecimal dayUsed, BigDecimal dayLimit, BigDecimal monthUsed, BigDecimal monthLimit) {
    }

    /** A metered quantity; {@code limit} 0 means unmetered, {@code resetAt} null means no window is running. */
    public record Meter(long used, long limit, Instant resetAt) {
    }

    public record View(String slug, String plan, String status, String level, UsageWindows.Window day,
            UsageWindows.Window month, Usd usd, Meter bytes, Meter sessionSeconds, long openTunnels,
            int concurrentMax, Balance balance) {
    }

    /** A prepaid account's balance (contract §11); {@code remaining} is the sum of its ledger. */
    public record Balance(long available, long held, long remaining, Expiry nextExpiry) {
    }

    /** The credits the soonest expiring grant still holds, and when it expires. */
    public record Expiry(long credits, Instant at) {
    }

    public record Totals(long accounts, UsageWindows.Window day, UsageWindows.Window month, Usd usd) {
    }

    public record AllAccounts(List<View> accounts, Totals totals) {
    }

    /** Totals of one closed UTC day, per record type. */
    public record DayTotals(long credit, long op, long byte_in, long byte_out, long session_second, long tunnel) {
    }

    /** {@code tokens}: credits billed to each token's tunnels that day, with {@code by=token} only. */
    public record Bucket(java.time.LocalDate date, DayTotals totals,
            @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Long> tokens) {
    }

    public record Series(java.time.LocalDate fromDate, java.time.LocalDate toDate, List<Bucket> buckets) {
    }
}
