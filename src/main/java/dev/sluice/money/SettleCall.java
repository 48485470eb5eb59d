package dev.sluice.money;

import java.util.UUID;

/**
 * One settlement to make (a lease, a close or a late report); {@code tokenId} the caller's token (null for the
 * internal tunnel secret), {@code want} null means the lease chunk, {@code key} the Idempotency-Key if any.
 */
public record SettleCall(long accountId, UUID tunnelId, UUID tokenId, long consumed, Long want, long bytesIn,
        long bytesOut, boolean close, String key, String requestId) {
}
