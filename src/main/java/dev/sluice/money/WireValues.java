package dev.sluice.money;

import java.util.Locale;

/** The money core's enums as the database and the contract spell them: the constant's name in lower case. */
final class WireValues {

    private WireValues() {
    }

    static String wire(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    /** The constant a column names, null for null. */
    static <E extends Enum<E>> E of(Class<E> type, String column) {
        return column == null ? null : Enum.valueOf(type, column.toUpperCase(Locale.ROOT));
    }
}
