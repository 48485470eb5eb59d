package dev.sluice.token;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/** The token API's records. */
public final class TokenViews {

    private TokenViews() {
    }

    public record MintRequest(@Pattern(regexp = "api|service", message = "must be \"api\" or \"service\"") String kind,
            @Size(max = 100) String name, Instant expiresAt) {
    }

    public record RollRequest(@Min(0) @Max(86400) Integer overlapSeconds) {
    }

    /** The only response that ever carries the plaintext token. */
    public record Minted(UUID id, String kind, String name, String token, String last4, Instant createdAt,
            Instant expiresAt) {
    }

    public record Listed(UUID id, String kind, String name, String last4, Instant createdAt,
            Instant lastUsedAt, Instant expiresAt, Instant revokedAt) {

        static Listed of(ApiToken t) {
            return new Listed(t.tokenId, t.kind, t.name, t.last4, t.createdAt, t.lastUsedAt, t.expiresAt, t.revokedAt);
        }
    }

    public record TokenList(List<Listed> tokens) {
    }

    public record Revoked(boolean ok, UUID id) {
    }
}
