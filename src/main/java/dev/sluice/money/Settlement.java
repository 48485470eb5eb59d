package dev.sluice.money;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import dev.sluice.web.SluiceException;

/**
 * What {@code settle_tunnels} decided for one call, read by column name; a replay's is the first answer, with its
 * time and request id. {@code unbilled} is what this report consumed beyond the billing bound; {@code capped} says
 * it is the tunnel's first such report of the UTC day (audited once). {@code budgetId} names the budget a refusal
 * with scope budget ran into; {@code budgetRemaining} is what the tightest blocking budget of the tunnel's token
 * leaves after the call (null: none). {@code charged} is what the call billed.
 */
public record Settlement(SettleOutcome outcome, long granted, long held, long returned, CloseReason closeReason,
        String scope, UsageLevel level, String plan, Instant resetsAt, Instant decidedAt, String requestId,
        boolean replayed, boolean lateRefused, long unbilled, boolean capped, UsageWindows.Counters counters,
        UUID budgetId, Long budgetRemaining, long charged) {

    public SluiceException quotaExceeded() {
        return counters.quotaExceeded(scope, resetsAt, decidedAt, budgetId, budgetRemaining);
    }

    public Map<String, String> headers() {
        return counters.headers(decidedAt, budgetRemaining);
    }
}
