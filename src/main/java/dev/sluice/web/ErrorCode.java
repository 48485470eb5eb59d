package dev.sluice.web;

/**
 * The contract's error codes, the {@code code} of every error body: the one list, which {@link SluiceException}
 * takes and the API description enumerates. {@link #INTERNAL} is the bare 500 of an unexpected failure.
 */
public enum ErrorCode {
    VALIDATION_FAILED,
    UNAUTHORIZED,
    FORBIDDEN,
    ACCOUNT_SUSPENDED,
    TUNNEL_LIMIT_REACHED,
    PLAN_LIMIT_REACHED,
    RESERVED_SUBDOMAIN_NOT_ALLOWED,
    NOT_FOUND,
    ACCOUNT_EXISTS,
    GLOBAL_CEILING_EXCEEDED,
    SUBDOMAIN_TAKEN,
    GRANT_VOIDED,
    BUDGET_LIMIT_REACHED,
    IDEMPOTENCY_CONFLICT,
    TUNNEL_CLOSED,
    PAYLOAD_TOO_LARGE,
    QUOTA_EXCEEDED,
    RATE_LIMITED,
    UNAVAILABLE,
    INTERNAL
}
