package dev.sluice.money;

import java.util.Locale;

/** An account's usage level: the {@code usage_level_name} domain's values, and the contract's {@code level}. */
public enum UsageLevel {
    OK,
    /** 80 % or more of the binding window is used or leased. */
    WARN,
    /** A window has nothing left. */
    EXCEEDED;

    /** The value as the database and the contract spell it. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    static UsageLevel of(String column) {
        return column == null ? null : valueOf(column.toUpperCase(Locale.ROOT));
    }
}
