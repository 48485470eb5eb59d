package dev.sluice.token;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import dev.sluice.auth.Principal;

/**
 * Remembers a successful token lookup for a moment ({@code TOKEN_CACHE_TTL}, default 500 ms), so a relay's
 * steady stream of leases does not look its token up every time. A revocation is effective on this replica at
 * once (the entry is dropped) and on every other one within the TTL; leases and registrations also re-check the
 * token inside their own statement, so spending stops at once everywhere.
 */
@ApplicationScoped
public class TokenCache {

    static final int MAX_ENTRIES = 100_000;

    private record Entry(Principal principal, Instant expiresAt, long cachedUntilNanos) {
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    /** When this replica last claimed the write of each token's lastUsedAt. */
    private final Map<UUID, Instant> touches = new ConcurrentHashMap<>();
    private final long ttlNanos;

    public TokenCache(TokenConfig config) {
        Duration ttl = config.tokenCacheTtl();
        if (ttl.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new IllegalStateException("TOKEN_CACHE_TTL must be at most 1s: revocations must reach every "
                    + "replica within a second");
        }
        this.ttlNanos = ttl.toNanos();
    }

    Optional<Principal> get(String hash, Instant now) {
        Entry entry = entries.get(hash);
        if (entry == null || System.nanoTime() - entry.cachedUntilNanos() > 0
                || (entry.expiresAt() != null && !entry.expiresAt().isAfter(now))) {
            return Optional.empty();
        }
        return Optional.of(entry.principal());
    }

    void put(String hash, Principal principal, Instant expiresAt) {
        if (ttlNanos == 0) {
            return;
        }
        if (entries.size() >= MAX_ENTRIES) {
            entries.clear();
        }
        entries.put(hash, new Entry(principal, expiresAt, System.nanoTime() + ttlNanos));
    }

    /**
     * Whether this caller should write the token's lastUsedAt now: at most one caller per token per
     * {@code precision} on this replica. When a cache entry expires, every concurrent request of the token misses at
     * once, and each would otherwise queue on the token's row to write the same minute.
     */
    boolean claimTouch(UUID tokenId, Instant now, Duration precision) {
        if (touches.size() >= MAX_ENTRIES) {
            touches.clear();
        }
        Instant cutoff = now.minus(precision);
        boolean[] claimed = {false};
        touches.compute(tokenId, (id, last) -> {
            if (last != null && last.isAfter(cutoff)) {
                return last;
            }
            claimed[0] = true;
            return now;
        });
        return claimed[0];
    }

    /** Forgets every entry of a token that was revoked or rolled here. */
    void forget(UUID tokenId) {
        entries.values().removeIf(e -> tokenId.equals(e.principal().tokenId()));
    }
}
