package dev.sluice.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import dev.sluice.web.SluiceException;

/**
 * Turns an {@code Authorization} header, from a client address, into a {@link Principal}. A malformed token, or one
 * whose checksum is wrong, is refused without touching the database; a service or api token costs two primary-key
 * reads (its slug's account, then the token by account and hash), remembered for at most a second by the token
 * store; an address that guesses too much is refused before it costs any ({@link AuthFailureLimit}). Spending calls
 * re-check the token in their own statement.
 */
@ApplicationScoped
public class Authenticator {

    private static final String BEARER = "Bearer ";

    private final RootTokens rootTokens;
    private final TokenStore tokens;
    private final AccountDirectory accounts;
    private final AuthFailureLimit failureLimit;
    private final Optional<byte[]> tunnelSecret;
    private final AuthMetrics metrics;

    public Authenticator(RootTokens rootTokens, TokenStore tokens, AccountDirectory accounts,
            AuthFailureLimit failureLimit, AuthConfig config, AuthMetrics metrics) {
        this.metrics = metrics;
        this.rootTokens = rootTokens;
        this.tokens = tokens;
        this.accounts = accounts;
        this.failureLimit = failureLimit;
        this.tunnelSecret = config.tunnelSecret().filter(s -> !s.isBlank())
                .map(s -> s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The caller, or 401; {@code clientHost} is the address Quarkus resolved for the request. The legacy secret and
     * the root token are compared in memory, so they cost no lookup and are never limited.
     */
    public Principal authenticate(String authorization, String clientHost) {
        String token = bearerOrNull(authorization);
        if (token == null) {
            throw refused(AuthMetrics.Reason.MISSING);
        }
        if (tunnelSecret.isPresent()
                && MessageDigest.isEqual(tunnelSecret.get(), token.getBytes(StandardCharsets.UTF_8))) {
            return accounts.internalPrincipal();
        }
        TokenFormat.Parsed parsed = TokenFormat.parse(token);
        if (parsed == null) {
            throw refused(AuthMetrics.Reason.MALFORMED);
        }
        if (parsed.tier() == TokenFormat.Tier.ROOT) {
            if (rootTokens.matches(token)) {
                return Principal.root();
            }
            throw refused(AuthMetrics.Reason.UNKNOWN);
        }
        String hash = TokenFormat.sha256(token);
        String address;
        try {
            address = failureLimit.admit(clientHost, hash);
        } catch (SluiceException limited) {
            metrics.failed(AuthMetrics.Reason.LIMITED);
            throw limited;
        }
        TokenStore.Lookup found = tokens.lookUp(hash, parsed);
        return switch (found.state()) {
            case LIVE -> {
                failureLimit.authenticated(address, hash);
                yield found.principal();
            }
            case NOT_FOUND -> {
                failureLimit.notFound(address);
                throw refused(AuthMetrics.Reason.UNKNOWN);
            }
            // Known to the store, so no guess: a revoked or expired token does not count against the address.
            case DEAD -> throw refused(AuthMetrics.Reason.DEAD);
        };
    }

    private SluiceException refused(AuthMetrics.Reason reason) {
        metrics.failed(reason);
        return SluiceException.unauthorized();
    }

    /**
     * A revoked or expired api token, for the reports of its own tunnels; empty for anything else. It follows a 401
     * of {@link #authenticate}, whose lookup the store still remembers.
     */
    Optional<Principal> authenticateDeadApiToken(String authorization) {
        String token = bearer(authorization);
        TokenFormat.Parsed parsed = TokenFormat.parse(token);
        if (parsed == null || parsed.tier() != TokenFormat.Tier.API) {
            return Optional.empty();
        }
        TokenStore.Lookup found = tokens.lookUp(TokenFormat.sha256(token), parsed);
        return found.state() == TokenStore.Lookup.State.DEAD ? Optional.ofNullable(found.principal())
                : Optional.empty();
    }

    /** Whether a well-formed api token names an account that is suspended (whatever the token's own state). */
    boolean namesSuspendedAccount(String authorization) {
        TokenFormat.Parsed parsed = TokenFormat.parse(bearer(authorization));
        if (parsed == null || parsed.tier() != TokenFormat.Tier.API) {
            return false;
        }
        return accounts.isSuspended(parsed.slug());
    }

    /** The token after {@code Bearer }, or 401. */
    private static String bearer(String authorization) {
        String token = bearerOrNull(authorization);
        if (token == null) {
            throw SluiceException.unauthorized();
        }
        return token;
    }

    /**
     * The token after {@code Bearer }; null for none, or for a header with control characters, which is malformed,
     * never trimmed into shape.
     */
    private static String bearerOrNull(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())
                || authorization.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            return null;
        }
        return authorization.substring(BEARER.length()).strip();
    }
}
