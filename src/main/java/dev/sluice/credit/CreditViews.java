package dev.sluice.credit;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.validation.constraints.Size;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The records prepaid credit's API speaks (contract §11). */
public final class CreditViews {

    private CreditViews() {
    }

    /** A new grant: {@code credits} or {@code usd}, one of them. */
    public record GrantRequest(Long credits, BigDecimal usd, String category, Integer priority, Instant effectiveAt,
            Instant expiresAt, @Size(max = 500) String note) {
    }

    public record Grant(UUID id, long credits, long remaining, String category, int priority, Instant effectiveAt,
            Instant expiresAt, Instant voidedAt, String source, String note, Instant createdAt) {
    }

    public record GrantList(List<Grant> grants) {
    }

    public record Voided(Grant grant) {
    }

    @Schema(name = "LedgerEntry")
    public record Entry(long seq, Instant at, String kind, UUID grantId, long credits, long balance,
            String requestId) {
    }

    @Schema(name = "LedgerPage")
    public record Page(List<Entry> entries, String nextCursor) {
    }

    /** The balance.low threshold in credits or in dollars, one of them; both absent (or null) clears it. */
    public record BalanceAlertRequest(Long belowCredits, BigDecimal belowUsd) {
    }

    public record BalanceAlert(Long belowCredits, BigDecimal belowUsd) {
    }
}
