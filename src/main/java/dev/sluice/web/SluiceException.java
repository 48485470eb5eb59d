package dev.sluice.web;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one domain error: an HTTP status, the contract's {@code code} and any extra fields the contract
 * names for that code. {@link ErrorMapper#body} renders every error body, including the 413 that
 * {@link RequestIdRoute} answers before a request reaches the REST layer.
 */
public class SluiceException extends RuntimeException {

    private final int status;
    private final ErrorCode code;
    private final Map<String, Object> extras;
    private final Map<String, String> headers;
    private final String requestId;

    public SluiceException(int status, ErrorCode code, String message) {
        this(status, code, message, Map.of(), Map.of());
    }

    public SluiceException(int status, ErrorCode code, String message, Map<String, Object> extras,
            Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.extras = Collections.unmodifiableMap(new LinkedHashMap<>(extras));
        this.headers = Map.copyOf(headers);
        this.requestId = null;
    }

    private SluiceException(SluiceException first, String requestId, Map<String, String> headers) {
        super(first.getMessage(), null, false, false);
        this.status = first.status;
        this.code = first.code;
        this.extras = first.extras;
        this.headers = Map.copyOf(headers);
        this.requestId = requestId;
    }

    /**
     * The same error as an Idempotency-Key replay: the first answer's body (with the first request's id) and
     * headers, marked {@code Idempotent-Replayed: true}.
     */
    public SluiceException replayed(String firstRequestId) {
        Map<String, String> replayHeaders = new java.util.LinkedHashMap<>(headers);
        replayHeaders.put(IDEMPOTENT_REPLAYED, "true");
        return new SluiceException(this, firstRequestId, replayHeaders);
    }

    /** The same error answered for the request {@code requestId}, whichever thread renders it. */
    public SluiceException forRequest(String requestId) {
        return this.requestId != null || requestId == null ? this : new SluiceException(this, requestId, headers);
    }

    /** The header that marks a replayed answer, as Stripe names it. */
    public static final String IDEMPOTENT_REPLAYED = "Idempotent-Replayed";

    public static SluiceException idempotencyConflict(String message) {
        return new SluiceException(409, ErrorCode.IDEMPOTENCY_CONFLICT, message, Map.of("field", "Idempotency-Key"),
                Map.of());
    }

    public static SluiceException validation(String field, String message) {
        Map<String, Object> extras = field == null ? Map.of() : Map.of("field", field);
        return new SluiceException(400, ErrorCode.VALIDATION_FAILED, message, extras, Map.of());
    }

    public static SluiceException unauthorized() {
        return new SluiceException(401, ErrorCode.UNAUTHORIZED, "A valid bearer token is required.", Map.of(),
                Map.of("WWW-Authenticate", "Bearer"));
    }

    public static SluiceException forbidden(String message) {
        return new SluiceException(403, ErrorCode.FORBIDDEN, message);
    }

    public static SluiceException notFound(String message) {
        return new SluiceException(404, ErrorCode.NOT_FOUND, message);
    }

    public static SluiceException accountSuspended() {
        return new SluiceException(403, ErrorCode.ACCOUNT_SUSPENDED, "The account is suspended.");
    }

    /** Too many failed authentications from the caller's address; it may try again in {@code retryAfter} seconds. */
    public static SluiceException rateLimited(long retryAfter) {
        return new SluiceException(429, ErrorCode.RATE_LIMITED, "Too many unknown tokens from this address; retry in "
                + retryAfter + " s.", Map.of(), Map.of("Retry-After", Long.toString(retryAfter)));
    }

    public static SluiceException unavailable() {
        return new SluiceException(503, ErrorCode.UNAVAILABLE, "The database cannot be reached; nothing was granted.");
    }

    public int status() {
        return status;
    }

    public ErrorCode code() {
        return code;
    }

    public Map<String, Object> extras() {
        return extras;
    }

    public Map<String, String> headers() {
        return headers;
    }

    /** The request id the body names, when it is not the current request's (a replay). */
    public String requestId() {
        return requestId;
    }
}
