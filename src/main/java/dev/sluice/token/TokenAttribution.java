package dev.sluice.token;

import java.util.Optional;
import java.util.UUID;

/**
 * The token a tunnel's spending is attributed to: the api token that registered it, or {@code tunnel-secret} for
 * tunnels registered with TUNNEL_SECRET, which the tables key as the nil uuid (SQL's {@code tunnel_token}).
 */
public final class TokenAttribution {

    /** How budgets, usage and series name TUNNEL_SECRET's tunnels. */
    public static final String TUNNEL_SECRET = "tunnel-secret";
    /** TUNNEL_SECRET's key in token_daily and budget. */
    public static final UUID TUNNEL_SECRET_ID = new UUID(0, 0);

    private TokenAttribution() {
    }

    /** The id as the API shows it. */
    public static String wire(UUID tokenId) {
        return TUNNEL_SECRET_ID.equals(tokenId) ? TUNNEL_SECRET : tokenId.toString();
    }

    /**
     * The key of a token the API names, if it is {@code tunnel-secret} or one of the account's api tokens (revoked
     * and expired ones included: their tunnels' spending stays theirs); empty for anything else.
     */
    public static Optional<UUID> resolve(long accountId, String tokenId) {
        if (TUNNEL_SECRET.equals(tokenId)) {
            return Optional.of(TUNNEL_SECRET_ID);
        }
        UUID id;
        try {
            id = UUID.fromString(tokenId);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return ApiToken.<ApiToken>find("accountId = ?1 and tokenId = ?2 and kind = ?3", accountId, id, ApiToken.API)
                .firstResultOptional().map(token -> token.tokenId);
    }
}
