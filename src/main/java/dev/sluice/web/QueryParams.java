package dev.sluice.web;

/** Query parameters arrive as text so that a malformed number is the contract's 400, not a framework 404. */
public final class QueryParams {

    private QueryParams() {
    }

    public static Integer integer(String name, String value) {
        if (value == null) {
            return null;
        }
        try {
            return Integer.valueOf(value);
        } catch (NumberFormatException e) {
            throw SluiceException.validation(name, "'" + name + "' must be a whole number.");
        }
    }
}
