package dev.sluice.token;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.sluice.auth.Principal;
import dev.sluice.auth.TokenStore.Lookup;

/**
 * Remembers token lookups for a moment, in bounded caches, so a flood of distinct tokens costs lookups, never memory.
 * <ul>
 * <li>A live token for {@code TOKEN_CACHE_TTL} (default 500 ms), so a relay's steady stream of leases does not look
 * its token up every time. A revocation is effective on this replica at once (the entry is dropped) and on every
 * other one within the TTL; leases and registrations also re-check the token inside their own statement, so
 * spending stops at once everywhere.</li>
 * <li>A token that was not found, or is revoked or expired, for one second (contract §2), so presenting a guess again
 * costs no lookup. That delays no revocation (a dead token stays dead), and a token minted since is found a second
 * later at most (its random part is new, so no one but a lucky guesser presented it before).</li>
 * </ul>
 */
@ApplicationScoped
public class TokenCache {

    static final int MAX_ENTRIES = 100_000;
    static final Duration REFUSAL_TTL = Duration.ofSeconds(1);

    private record Live(Principal principal, Instant expiresAt) {
    }

    private final Cache<String, Live> live;
    private final Cache<String, Lookup> refused = Caffeine.newBuilder().maximumSize(MAX_ENTRIES)
            .expireAfterWrite(REFUSAL_TTL).build();
    /** When this replica last claimed the write of each token's lastUsedAt. */
    private final Map<UUID, Instant> touches = new ConcurrentHashMap<>();

    public TokenCache(TokenConfig config) {
        Duration ttl = config.tokenCacheTtl();
        if (ttl.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new IllegalStateException("TOKEN_CACHE_TTL must be at most 1s: revocations must reach every "
                    + "replica within a second");
        }
        this.live = Caffeine.newBuilder().maximumSize(MAX_ENTRIES).expireAfterWrite(ttl).build();
    }

    /** What was remembered of the token with this hash, or null. */
    Lookup get(String hash, Instant now) {
        Live entry = live.getIfPresent(hash);
        if (entry != null && (entry.expiresAt() == null || entry.expiresAt().isAfter(now))) {
            return Lookup.live(entry.principal());
        }
        return refused.getIfPresent(hash);
    }

    void put(String hash, Principal principal, Instant expiresAt) {
        live.put(hash, new Live(principal, expiresAt));
    }

    /** Remembers a token that was not found, or is dead, for {@link #REFUSAL_TTL}. */
    void refuse(String hash, Lookup refusal) {
        refused.put(hash, refusal);
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
        live.asMap().values().removeIf(e -> tokenId.equals(e.principal().tokenId()));
    }
}
