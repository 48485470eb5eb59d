package dev.sluice.budget;

import dev.sluice.WireValues;
import dev.sluice.web.SluiceException;

/** The UTC window a budget counts spending in; it starts again with nothing spent at each UTC day or month. */
public enum BudgetWindow {
    DAY,
    MONTH;

    public String wire() {
        return WireValues.wire(this);
    }

    /** The window a request names; 400 naming {@code window} for anything else, absence included. */
    static BudgetWindow of(String requested) {
        return named(BudgetWindow.class, "window", requested);
    }

    /** The constant of {@code type} whose wire spelling {@code requested} is; 400 naming {@code field} if none. */
    static <E extends Enum<E>> E named(Class<E> type, String field, String requested) {
        for (E value : type.getEnumConstants()) {
            if (WireValues.wire(value).equals(requested)) {
                return value;
            }
        }
        StringBuilder allowed = new StringBuilder();
        for (E value : type.getEnumConstants()) {
            allowed.append(allowed.isEmpty() ? "" : " or ").append('"').append(WireValues.wire(value)).append('"');
        }
        throw SluiceException.validation(field, "'" + field + "' must be " + allowed + ".");
    }
}
