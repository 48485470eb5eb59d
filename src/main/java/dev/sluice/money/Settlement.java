package dev.sluice.money;

import java.time.Instant;

/**
 * What {@code settle_tunnels} decided for one call, read by column name; a replay's is the first answer, with its
 * time and request id. {@code unbilled} is what this report consumed beyond the billing bound; {@code capped} says
 * it is the tunnel's first such report of the UTC day (audited once).
 */
public record Settlement(SettleOutcome outcome, long granted, long held, long returned, CloseReason closeReason,
        String scope, UsageLevel level, String plan, Instant resetsAt, Instant decidedAt, String requestId,
        boolean replayed, boolean lateRefused, long unbilled, boolean capped, UsageWindows.Counters counters) {
}
