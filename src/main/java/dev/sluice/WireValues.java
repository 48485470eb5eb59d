package dev.sluice;

import java.util.Locale;

/** Enums as the database and the contract spell them: the constant's name in lower case. */
public final class WireValues {

    private WireValues() {
    }

    public static String wire(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    /** The constant a column names, null for null. */
    public static <E extends Enum<E>> E of(Class<E> type, String column) {
        return column == null ? null : Enum.valueOf(type, column.toUpperCase(Locale.ROOT));
    }
}
