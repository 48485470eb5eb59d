package dev.sluice.money;

import dev.sluice.WireValues;

/** Why a tunnel closed: the {@code tunnel_close_reason} domain's values, and the contract's {@code reason}. */
public enum CloseReason {
    /** The relay closed it. */
    CLOSED,
    /** Its account was suspended. */
    SUSPENDED,
    /** A plan change or a lower concurrentMax left no room for it (the oldest close first). */
    PLAN_DOWNGRADE,
    /** No traffic for the plan's inactivity timeout. */
    INACTIVE,
    /** No report for the stale timeout: its relay is gone, and what it held was charged. */
    STALE,
    /** The token that registered it was revoked or expired. */
    REVOKED;

    /** The value as the database and the contract spell it. */
    public String wire() {
        return WireValues.wire(this);
    }

    static CloseReason of(String column) {
        return WireValues.of(CloseReason.class, column);
    }
}
