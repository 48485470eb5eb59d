package dev.sluice.token;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;

import dev.sluice.SqlValues;
import dev.sluice.UtcNow;
import dev.sluice.account.Account;
import dev.sluice.account.Accounts;
import dev.sluice.audit.AuditTrail;
import dev.sluice.auth.Principal;
import dev.sluice.auth.TokenFormat;
import dev.sluice.auth.TokenStore;
import dev.sluice.auth.TokenStore.Lookup;
import dev.sluice.money.CloseReason;
import dev.sluice.money.CreditLock;
import dev.sluice.web.SluiceException;
import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;

/** Mints, lists, revokes, rolls and authenticates service and api tokens. */
@ApplicationScoped
public class TokenService implements TokenStore {

    /** lastUsedAt is kept to this precision, so authentication writes at most once per token per interval. */
    static final Duration LAST_USED_PRECISION = Duration.ofMinutes(1);
    /** PostgreSQL's timestamptz ends far later, but nothing sensible expires after this. */
    static final Instant LATEST_EXPIRY = Instant.parse("9999-12-31T23:59:59Z");

    @Inject
    EntityManager em;
    @Inject
    AuditTrail audit;
    @Inject
    TokenCache cache;
    @Inject
    AgroalDataSource db;
    @Inject
    Event<TokenRolled> rolled;

    /**
     * The account's slug and the token's hash looked up ({@link #find}), then checks that cost nothing; what it finds
     * is remembered ({@link TokenCache}). It reads columns, not entities, so nothing stale lingers in the request's
     * persistence context.
     */
    @Override
    public Lookup lookUp(String hash, TokenFormat.Parsed parsed) {
        Instant now = UtcNow.get();
        Lookup cached = cache.get(hash, now);
        if (cached != null) {
            return cached;
        }
        Principal.Kind kind = parsed.tier() == TokenFormat.Tier.SERVICE ? Principal.Kind.SERVICE : Principal.Kind.API;
        String expectedKind = kind == Principal.Kind.SERVICE ? ApiToken.SERVICE : ApiToken.API;
        Optional<TokenMatch> match = find(parsed.slug(), hash).filter(found -> found.kind().equals(expectedKind));
        if (match.isEmpty()) {
            cache.refuse(hash, Lookup.NOT_FOUND);
            return Lookup.NOT_FOUND;
        }
        TokenMatch found = match.get();
        Principal principal = new Principal(kind, found.accountId(), found.slug(), found.tokenId());
        if (!ApiToken.isLive(found.revokedAt(), found.expiresAt(), now)) {
            // A dead api token still reports on the tunnels it registered; a dead service token is simply refused.
            Lookup dead = Lookup.dead(kind == Principal.Kind.API ? principal : null);
            cache.refuse(hash, dead);
            return dead;
        }
        if ((found.lastUsedAt() == null || found.lastUsedAt().isBefore(now.minus(LAST_USED_PRECISION)))
                && cache.claimTouch(found.tokenId(), now, LAST_USED_PRECISION)) {
            touch(found.accountId(), found.tokenId(), now);
        }
        cache.put(hash, principal, found.expiresAt());
        return Lookup.live(principal);
    }

    /**
     * Plain JDBC in autocommit, not the request's persistence context: the connection goes back to the pool as soon
     * as the row is read. A request-scoped session would keep it for the whole request, and a lease that then waits
     * for its account's batch (which needs a connection of its own) could starve the pool under load.
     * The token names its account's slug, so the slug's row gives the account and the token is looked up by
     * (account, hash): two primary-key reads that Citus routes to one shard each.
     */
    private Optional<TokenMatch> find(String slug, String hash) {
        try (Connection connection = db.getConnection();
                PreparedStatement account = connection.prepareStatement(
                        "select account_id from account_slug where slug = ?");
                PreparedStatement token = connection.prepareStatement("""
                        select token_id, kind, expires_at, revoked_at, last_used_at
                          from api_token where account_id = ? and token_hash = ?""")) {
            account.setString(1, slug);
            long accountId;
            try (ResultSet row = account.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                accountId = row.getLong(1);
            }
            token.setLong(1, accountId);
            token.setString(2, hash);
            try (ResultSet row = token.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                return Optional.of(new TokenMatch(accountId, slug, row.getObject(1, UUID.class), row.getString(2),
                        SqlValues.instant(row.getTimestamp(3)), SqlValues.instant(row.getTimestamp(4)),
                        SqlValues.instant(row.getTimestamp(5))));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("token lookup failed", e);
        }
    }

    record TokenMatch(long accountId, String slug, UUID tokenId, String kind, Instant expiresAt, Instant revokedAt,
            Instant lastUsedAt) {
    }

    private void touch(long accountId, UUID tokenId, Instant now) {
        // Its own short transaction: a stale lastUsedAt must never fail or slow down the caller's request more
        // than once a minute, and it is not part of the caller's unit of work.
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("""
                update api_token set last_used_at = :now
                 where account_id = :account and token_id = :token
                   and (last_used_at is null or last_used_at < :now)""")
                .setParameter("now", now)
                .setParameter("account", accountId)
                .setParameter("token", tokenId)
                .executeUpdate());
    }

    /** Mints a token inside the caller's transaction; the plaintext exists only in the returned record. */
    @Transactional(Transactional.TxType.MANDATORY)
    public TokenViews.Minted mint(Account account, String kind, String name, Instant expiresAt) {
        TokenFormat.Tier tier = ApiToken.SERVICE.equals(kind) ? TokenFormat.Tier.SERVICE : TokenFormat.Tier.API;
        String plaintext = TokenFormat.generate(tier, account.slug());
        ApiToken token = new ApiToken();
        token.tokenId = UUID.randomUUID();
        token.accountId = account.accountId();
        token.kind = kind;
        token.name = name;
        token.tokenHash = TokenFormat.sha256(plaintext);
        token.last4 = TokenFormat.last4(plaintext);
        token.createdAt = UtcNow.get();
        token.expiresAt = expiresAt;
        token.persist();
        return new TokenViews.Minted(token.tokenId, kind, name, plaintext, token.last4, token.createdAt, expiresAt);
    }

    @Transactional
    public TokenViews.Minted mint(Principal caller, String slug, TokenViews.MintRequest request) {
        String kind = request.kind() == null ? ApiToken.API : request.kind();
        if (ApiToken.SERVICE.equals(kind) && !caller.isRoot()) {
            throw SluiceException.forbidden("Only root may mint service tokens.");
        }
        if (request.expiresAt() != null && (!request.expiresAt().isAfter(Instant.now())
                || request.expiresAt().isAfter(LATEST_EXPIRY))) {
            throw SluiceException.validation("expiresAt", "'expiresAt' must be in the future, before the year 10000.");
        }
        Account account = Accounts.require(slug);
        TokenViews.Minted minted = mint(account, kind, request.name(), request.expiresAt());
        audit.succeeded(slug, "token:" + minted.id(), "kind=" + kind);
        return minted;
    }

    public TokenViews.TokenList list(String slug) {
        Account account = Accounts.require(slug);
        List<ApiToken> tokens = ApiToken.list("accountId = ?1 order by createdAt, tokenId", account.accountId());
        return new TokenViews.TokenList(tokens.stream().map(TokenViews.Listed::of).toList());
    }

    /**
     * Revokes at once and closes the tunnels the token opened; idempotent. This replica forgets the token now, the
     * others within {@link TokenCache}'s TTL, and leases re-check the token in their own statement.
     */
    @Transactional
    public TokenViews.Revoked revoke(CreditLock lock, Principal caller, String slug, String tokenId) {
        ApiToken token = manageable(caller, slug, tokenId);
        if (token.revokedAt == null) {
            token.revokedAt = UtcNow.get();
        }
        cache.forget(token.tokenId);
        int closed = lock.closeOpen(token.accountId, token.tokenId, CloseReason.REVOKED);
        audit.succeeded(slug, "token:" + token.tokenId, "closedTunnels=" + closed);
        return new TokenViews.Revoked(true, token.tokenId);
    }

    /**
     * Mints a successor with the same kind, name and expiry; the old token keeps working for the overlap and
     * then expires (with no overlap it is revoked at once).
     */
    @Transactional
    public TokenViews.Minted roll(Principal caller, String slug, String tokenId, TokenViews.RollRequest request) {
        ApiToken old = manageable(caller, slug, tokenId);
        Instant now = UtcNow.get();
        if (!old.isLive(now)) {
            throw SluiceException.notFound("No live token with that id.");
        }
        int overlap = request == null || request.overlapSeconds() == null ? 0 : request.overlapSeconds();
        TokenViews.Minted successor = mint(Accounts.require(slug), old.kind, old.name, old.expiresAt);
        cache.forget(old.tokenId);
        if (overlap == 0) {
            old.revokedAt = now;
        } else {
            Instant end = now.plusSeconds(overlap);
            old.expiresAt = old.expiresAt == null || old.expiresAt.isAfter(end) ? end : old.expiresAt;
        }
        rolled.fire(new TokenRolled(old.accountId, old.tokenId, successor.id()));
        audit.succeeded(slug, "token:" + old.tokenId, "successor=" + successor.id() + " overlapSeconds=" + overlap);
        return successor;
    }

    /** The token, if it belongs to the account and the caller may manage its kind (service ones: root only). */
    private ApiToken manageable(Principal caller, String slug, String tokenId) {
        Account account = Accounts.require(slug);
        UUID id;
        try {
            id = UUID.fromString(tokenId);
        } catch (IllegalArgumentException e) {
            throw SluiceException.notFound("No token with that id.");
        }
        ApiToken token = ApiToken.find("accountId = ?1 and tokenId = ?2", account.accountId(), id).firstResult();
        if (token == null) {
            throw SluiceException.notFound("No token with that id.");
        }
        if (ApiToken.SERVICE.equals(token.kind) && !caller.isRoot()) {
            throw SluiceException.forbidden("Only root may revoke or roll service tokens.");
        }
        return token;
    }
}
