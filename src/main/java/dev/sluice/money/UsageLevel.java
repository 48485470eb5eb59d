package dev.sluice.money;

import dev.sluice.WireValues;

/** An account's usage level: the {@code usage_level_name} domain's values, and the contract's {@code level}. */
public enum UsageLevel {
    OK,
    /** 80 % or more of the binding window is used or leased. */
    WARN,
    /** A window has nothing left. */
    EXCEEDED;

    /** The value as the database and the contract spell it. */
    public String wire() {
        return WireValues.wire(this);
    }

    static UsageLevel of(String column) {
        return WireValues.of(UsageLevel.class, column);
    }
}
