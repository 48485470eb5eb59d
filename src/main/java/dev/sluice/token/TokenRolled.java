package dev.sluice.token;

import java.util.UUID;

/**
 * Fired, synchronously and in the roll's transaction, when a token is rolled: what follows a token (its budgets)
 * moves to the successor.
 */
public record TokenRolled(long accountId, UUID from, UUID to) {
}
