package dev.sluice.web;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Cursor pagination, one format for every list: a page size checked against its bounds, and an opaque cursor
 * (the last row's key, base64url) that only this service makes.
 */
public final class Pages {

    private Pages() {
    }

    /** {@code limit} or the default; 400 naming {@code limit} outside 1..max. */
    public static int size(Integer limit, int defaultSize, int max) {
        int size = limit == null ? defaultSize : limit;
        if (size < 1 || size > max) {
            throw SluiceException.validation("limit", "'limit' must be between 1 and " + max + ".");
        }
        return size;
    }

    public static String cursor(long key) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString(Long.toString(key).getBytes(StandardCharsets.US_ASCII));
    }

    /** The key a cursor carries; 400 naming {@code cursor} for anything this service did not make. */
    public static long key(String cursor) {
        try {
            return Long.parseLong(text(cursor, "cursor"));
        } catch (NumberFormatException e) {
            throw notACursor("cursor");
        }
    }

    /** A cursor over a key of several parts (their text, joined by the caller). */
    public static String cursor(String key) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    /** The text a {@link #cursor(String)} carries; 400 naming {@code field} for anything that is not base64url. */
    public static String text(String cursor, String field) {
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw notACursor(field);
        }
    }

    public static SluiceException notACursor(String field) {
        return SluiceException.validation(field, "'" + field + "' is not a cursor this service returned.");
    }
}
