package dev.sluice.web;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one domain error: an HTTP status, the contract's {@code code} and any extra fields the contract
 * names for that code (§3). {@link ErrorMapper} renders it; nothing else writes error bodies.
 */
public class SluiceException extends RuntimeException {

    private final int status;
    private final String code;
    private final Map<String, Object> extras;
    private final Map<String, String> headers;

    public SluiceException(int status, String code, String message) {
        this(status, code, message, Map.of(), Map.of());
    }

    public SluiceException(int status, String code, String message, Map<String, Object> extras,
            Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.extras = Collections.unmodifiableMap(new LinkedHashMap<>(extras));
        this.headers = Map.copyOf(headers);
    }

    public static SluiceException validation(String field, String message) {
        Map<String, Object> extras = field == null ? Map.of() : Map.of("field", field);
        return new SluiceException(400, "VALIDATION_FAILED", message, extras, Map.of());
    }

    public static SluiceException unauthorized() {
        return new SluiceException(401, "UNAUTHORIZED", "A valid bearer token is required.", Map.of(),
                Map.of("WWW-Authenticate", "Bearer"));
    }

    public static SluiceException forbidden(String message) {
        return new SluiceException(403, "FORBIDDEN", message);
    }

    public static SluiceException notFound(String message) {
        return new SluiceException(404, "NOT_FOUND", message);
    }

    public static SluiceException unavailable() {
        return new SluiceException(503, "UNAVAILABLE", "The database cannot be reached; nothing was granted.");
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public Map<String, Object> extras() {
        return extras;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
