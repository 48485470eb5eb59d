package dev.sluice.budget;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.validation.constraints.Size;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The records budgets' API speaks (contract §12). */
public final class BudgetViews {

    private BudgetViews() {
    }

    /** A threshold: a share of the limit ({@code pct}, 1..100) or an amount in dollars ({@code usd}), one of them. */
    @Schema(name = "ThresholdRequest")
    public record ThresholdRequest(Integer pct, BigDecimal usd) {
    }

    /**
     * A new budget: {@code limitUsd} or {@code limitCredits}, one of them; no {@code tokenId} for the whole account,
     * an api token's id or {@code tunnel-secret} for one token's tunnels.
     */
    public record BudgetRequest(@Size(max = 100) String name, String tokenId, String window, BigDecimal limitUsd,
            Long limitCredits, String action, @Size(max = 10) List<ThresholdRequest> thresholds) {
    }

    /** A change of a budget; absent fields stay as they are. Its scope and window are fixed at creation. */
    public record BudgetChange(@Size(max = 100) String name, BigDecimal limitUsd, Long limitCredits, String action,
            @Size(max = 10) List<ThresholdRequest> thresholds) {
    }

    /** A threshold as set, with what it is in credits (the limit's share, for {@code pct}). */
    public record Threshold(Integer pct, BigDecimal usd, long credits) {
    }

    /** {@code limit} and {@code spent} in dollars. */
    @Schema(name = "BudgetUsd")
    public record Usd(BigDecimal limit, BigDecimal spent) {
    }

    /** {@code limit} and {@code spent} are credits; {@code spent} counts from the window's UTC start. */
    public record Budget(UUID id, String name, String tokenId, String window, long limit, Usd usd, String action,
            List<Threshold> thresholds, long spent, Instant createdAt) {
    }

    public record BudgetList(List<Budget> budgets) {
    }

    public record Deleted(boolean ok, UUID id) {
    }
}
