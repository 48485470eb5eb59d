package dev.sluice.money;

import dev.sluice.WireValues;

/** What {@code settle_tunnels} decided for one call (its {@code outcome} column). */
public enum SettleOutcome {
    /** Settled; a lease may have granted credits. */
    OK,
    /** Consumption was charged, but nothing remains to grant (429). */
    QUOTA,
    /** The tunnel is closed, or closed now for a dead token; any report was charged first (410). */
    CLOSED,
    /** No such tunnel in the caller's account (404). */
    NOT_FOUND,
    /** The token is unknown, or dead and not the one that registered the tunnel (401). */
    UNAUTHORIZED,
    /** The Idempotency-Key was used for another request (409). */
    IDEMPOTENCY_CONFLICT;

    static SettleOutcome of(String column) {
        return WireValues.of(SettleOutcome.class, column);
    }
}
