package dev.sluice.tunnel;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;

import dev.sluice.account.Account;
import dev.sluice.audit.AuditLog;
import dev.sluice.auth.Principal;
import dev.sluice.grant.GrantSigner;
import dev.sluice.money.AccountTurns;
import dev.sluice.money.CloseReason;
import dev.sluice.money.CreditLock;
import dev.sluice.money.RegistrationCharge;
import dev.sluice.money.SettleCall;
import dev.sluice.money.SettleOutcome;
import dev.sluice.money.Settlement;
import dev.sluice.plan.PlanCatalogue;
import dev.sluice.plan.PlanLimits;
import dev.sluice.web.DnsLabel;
import dev.sluice.web.ErrorCode;
import dev.sluice.web.RequestIds;
import dev.sluice.web.SluiceException;
import io.quarkus.narayana.jta.QuarkusTransaction;

/**
 * The spend authority: registration, leases and closes. Every credit movement runs under one lock, the
 * account's {@code account_usage} row ({@code FOR UPDATE} inside the money core's SQL functions, reached through
 * {@link AccountTurns}), so any number of replicas and concurrent calls grant at most what remains.
 */
@ApplicationScoped
public class TunnelService {

    private static final String RANDOM_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final int RANDOM_DRAWS = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A response body with the headers that go with it. */
    public record WithHeaders<T>(T body, Map<String, String> headers) {
    }

    @Inject
    EntityManager em;
    @Inject
    AccountTurns turns;
    @Inject
    PlanCatalogue plans;
    @Inject
    GrantSigner grants;
    @Inject
    SubdomainService subdomains;
    @Inject
    AuditLog audit;
    @Inject
    IdempotencyKeys idempotency;
    @Inject
    TunnelConfig config;
    @Inject
    RegistrationMetrics metrics;

    /**
     * Registration's checks in the contract's order (active account, token, tunnel caps, password cap,
     * subdomain rules, credits), all under the account's credit lock, in a transaction of its own made in the
     * account's turn (so a pile of one account's registrations holds at most one connection; see
     * {@link AccountTurns#inTurn}). With an Idempotency-Key, a registration that was answered 201 before is answered
     * again from the record written with it.
     */
    public CompletionStage<WithHeaders<TunnelViews.Registered>> register(Principal caller,
            TunnelViews.RegisterRequest request, String key) {
        return turns.inTurn(caller.accountId(),
                lock -> QuarkusTransaction.requiringNew().call(() -> registerLocked(lock, caller, request, key)))
                .whenComplete((registered, failure) -> metrics.answered(failure));
    }

    private WithHeaders<TunnelViews.Registered> registerLocked(CreditLock lock, Principal caller,
            TunnelViews.RegisterRequest request, String key) {
        long accountId = caller.accountId();
        Account account = lock.lock(accountId);
        String fingerprint = IdempotencyKeys.fingerprint(request);
        if (key != null) {
            // Safe against a concurrent retry: both hold the credit lock taken above while they look and insert.
            Optional<WithHeaders<TunnelViews.Registered>> first = idempotency.registration(accountId, key,
                    fingerprint);
            if (first.isPresent()) {
                return first.get();
            }
        }
        account.requireActive();
        if (caller.tokenId() != null && !Boolean.TRUE.equals(em.createNativeQuery(
                "select token_is_live(:account, :token)").setParameter("account", accountId)
                .setParameter("token", caller.tokenId()).getSingleResult())) {
            // The authentication cache may be up to a second behind a revocation made on another replica.
            throw SluiceException.unauthorized();
        }
        PlanLimits plan = plans.get(account.plan());
        boolean password = Boolean.TRUE.equals(request.password());
        requireTunnelRoom(account, plan, password);
        String subdomain = request.subdomain() == null ? randomSubdomain(accountId, account.slug())
                : claimSubdomain(caller, account, plan, request.subdomain());

        RegistrationCharge charge = lock.chargeRegistration(accountId, caller.tokenId());
        // The database's clock: reapers compare these timestamps with now() there, never with a replica's clock.
        Instant now = charge.decidedAt();
        if (!charge.charged()) {
            throw charge.quotaExceeded();
        }
        Tunnel tunnel = new Tunnel();
        tunnel.tunnelId = UUID.randomUUID();
        tunnel.accountId = accountId;
        tunnel.tokenId = caller.tokenId();
        tunnel.subdomain = subdomain;
        tunnel.passwordProtected = password;
        tunnel.region = request.region();
        tunnel.createdAt = now;
        tunnel.lastSeenAt = now;
        tunnel.lastActivityAt = now;
        tunnel.persist();
        String grant = grants.sign(new GrantSigner.Claims(tunnel.tunnelId.toString(), account.slug(), plan.id(),
                subdomain, plan.requestsPerMinute(), password), now);
        TunnelViews.Registered body = new TunnelViews.Registered(tunnel.tunnelId, subdomain, url(subdomain), password,
                now, charge.counters().snapshot(account.slug(), plan.id(), charge.level().wire(), now), grant);
        WithHeaders<TunnelViews.Registered> answer = new WithHeaders<>(body, charge.headers());
        if (key != null) {
            idempotency.rememberRegistration(accountId, key, fingerprint, tunnel.tunnelId, answer);
        }
        return answer;
    }

    /** A lease; answered when its account's batch has committed (no thread waits for it meanwhile). */
    public CompletionStage<WithHeaders<TunnelViews.Leased>> lease(Principal caller, String tunnelId,
            TunnelViews.LeaseRequest request, String key) {
        return settle(caller, tunnelId, request.consumed(), request.want(), request.bytesIn(), request.bytesOut(),
                false, key).thenApply(settled -> {
                    Instant at = settled.decidedAt();
                    if (settled.outcome() == SettleOutcome.QUOTA) {
                        throw asAnswered(settled, settled.quotaExceeded());
                    }
                    String level = settled.level().wire();
                    TunnelViews.Leased body = new TunnelViews.Leased(settled.granted(), settled.held(), level,
                            settled.counters().snapshot(caller.slug(), settled.plan(), level, at));
                    return new WithHeaders<>(body, replayHeader(settled, settled.headers()));
                });
    }

    public CompletionStage<WithHeaders<TunnelViews.Closed>> close(Principal caller, String tunnelId,
            TunnelViews.CloseRequest request, String key) {
        return settle(caller, tunnelId, request.consumed(), null, request.bytesIn(), request.bytesOut(), true, key)
                .thenApply(settled -> new WithHeaders<>(new TunnelViews.Closed(settled.returned(), "closed"),
                        replayHeader(settled, new LinkedHashMap<>())));
    }

    /**
     * Open tunnels beyond the newest {@code cap}, oldest first: what a downgrade closes, in the order it would close
     * them ({@link CreditLock#closeExcess}).
     */
    @SuppressWarnings("unchecked")
    public List<UUID> excess(long accountId, int cap) {
        return em.createNativeQuery("select tunnel_id from excess_tunnels(:account, :cap)", UUID.class)
                .setParameter("account", accountId).setParameter("cap", cap).getResultList();
    }

    public TunnelViews.TunnelList list(Principal caller) {
        List<Tunnel> open = Tunnel.list("accountId = ?1 and closedAt is null order by createdAt, tunnelId",
                caller.accountId());
        return new TunnelViews.TunnelList(open.stream().map(this::view).toList());
    }

    public TunnelViews.TunnelView get(Principal caller, String tunnelId) {
        Tunnel tunnel = Tunnel.find("accountId = ?1 and tunnelId = ?2", caller.accountId(), parseId(tunnelId))
                .firstResult();
        if (tunnel == null) {
            throw SluiceException.notFound("No tunnel with that id.");
        }
        return view(tunnel);
    }

    public TunnelViews.TunnelView view(Tunnel t) {
        return new TunnelViews.TunnelView(t.tunnelId, t.subdomain, url(t.subdomain), t.passwordProtected, t.createdAt,
                t.lastActivityAt, t.held, t.consumed, t.unbilled, t.bytesIn, t.bytesOut, t.sessionSeconds,
                t.closedAt, t.closeReason);
    }

    /**
     * One settlement through the per-account batcher; the outcomes that are errors become them here. A report on a
     * closed tunnel was charged before it is answered 410; one not charged in full (too late, or beyond what the
     * tunnel may still bill) is audited, as is an open tunnel's first report of the day that went past the billing
     * bound ({@code report.capped}).
     */
    private CompletionStage<Settlement> settle(Principal caller, String tunnelId, Long consumed, Long want,
            Long bytesIn, Long bytesOut, boolean close, String key) {
        UUID id = parseId(tunnelId);
        String requestId = RequestIds.current();
        return turns.settle(new SettleCall(caller.accountId(), id, caller.tokenId(),
                Objects.requireNonNullElse(consumed, 0L), want, Objects.requireNonNullElse(bytesIn, 0L),
                Objects.requireNonNullElse(bytesOut, 0L), close, key, requestId))
                .thenApply(result -> {
                    if (result.capped() && !result.replayed()) {
                        auditUnbilled(caller, requestId, id, "report.capped", "unbilled",
                                "consumed=" + consumed + ": " + result.unbilled() + " credits beyond the billing "
                                        + "bound not charged");
                    }
                    return result;
                })
                .thenApply(result -> switch (result.outcome()) {
                    case NOT_FOUND -> throw SluiceException.notFound("No tunnel with that id.");
                    case UNAUTHORIZED -> throw SluiceException.unauthorized();
                    case IDEMPOTENCY_CONFLICT -> throw SluiceException.idempotencyConflict("This Idempotency-Key was "
                            + "used for another request, another tunnel, or a report that is no longer the tunnel's "
                            + "latest.");
                    case CLOSED -> {
                        if (result.lateRefused() && !result.replayed()) {
                            auditUnbilled(caller, requestId, id, "tunnel.late_report", ErrorCode.TUNNEL_CLOSED.name(),
                                    "consumed=" + consumed + " not charged in full: too late or over the closed "
                                            + "tunnel's allowance");
                        }
                        throw asAnswered(result, tunnelClosed(result.closeReason()));
                    }
                    case OK, QUOTA -> result;
                });
    }

    /** Whichever thread completed the batch writes the entry, under this request's id. */
    private void auditUnbilled(Principal caller, String requestId, UUID tunnelId, String action, String outcome,
            String detail) {
        RequestIds.during(requestId, () -> QuarkusTransaction.requiringNew().run(() -> audit.append(
                new AuditLog.Actor(caller.actorKind(), caller.actorId()), action, caller.slug(), "tunnel:" + tunnelId,
                outcome, detail)));
    }

    /** A replayed answer repeats the first one's request id and says it is a replay. */
    private static SluiceException asAnswered(Settlement settled, SluiceException error) {
        return settled.replayed() ? error.replayed(settled.requestId()) : error;
    }

    private static Map<String, String> replayHeader(Settlement settled, Map<String, String> headers) {
        if (settled.replayed()) {
            headers.put(SluiceException.IDEMPOTENT_REPLAYED, "true");
        }
        return headers;
    }

    private void requireTunnelRoom(Account account, PlanLimits plan, boolean password) {
        long open = Tunnel.count("accountId = ?1 and closedAt is null", account.accountId());
        if (open >= Math.min(plan.tunnels(), account.concurrentMax())) {
            String message = plan.tunnels() <= account.concurrentMax() ? plans.tunnelLimitMessage(plan)
                    : "Account limited to " + account.concurrentMax() + " concurrent tunnels.";
            throw new SluiceException(403, ErrorCode.TUNNEL_LIMIT_REACHED, message,
                    Map.of("upgradeUrl", plans.upgradeUrl()), Map.of());
        }
        if (password && plan.passwordTunnels() != null && Tunnel.count(
                "accountId = ?1 and closedAt is null and passwordProtected = true", account.accountId())
                >= plan.passwordTunnels()) {
            throw plans.planLimit(plan, plan.passwordTunnels(), "password-protected tunnel");
        }
    }

    /** A name asked for: reserved for this account if free and under the cap, and never shared across accounts. */
    private String claimSubdomain(Principal caller, Account account, PlanLimits plan, String name) {
        DnsLabel.require(name, "subdomain");
        subdomains.requireReservable(plan);
        // Under the credit lock: no other tunnel of this account opens meanwhile; other accounts hold claims.
        if (Tunnel.count("accountId = ?1 and subdomain = ?2 and closedAt is null", account.accountId(), name) > 0) {
            throw SubdomainService.taken(name);
        }
        if (subdomains.isReservedBy(account.accountId(), name)) {
            // Its own reservation, but the claim is still taken (locked) here: a release racing this registration
            // must not let another account take the name before this tunnel is committed on it.
            if (!subdomains.claim(account.accountId(), name)) {
                throw SubdomainService.taken(name);
            }
        } else {
            subdomains.reserve(account, plan, name);
            audit.append(new AuditLog.Actor(caller.actorKind(), caller.actorId()), "subdomain.reserve", account.slug(),
                    "subdomain:" + name, AuditLog.OK, "reserved by tunnel registration");
        }
        return name;
    }

    /**
     * {@code <slug>-<8 random>}, which belongs to the account by its slug, unless a longer slug (another account's)
     * happens to be that very name: then another draw. A slug longer than 54 characters (from before that rule) is
     * cut to 54, a prefix another account's slug may own, so the draws are bounded.
     */
    private String randomSubdomain(long accountId, String slug) {
        String prefix = slug.length() > 54 ? slug.substring(0, 54) : slug;
        for (int draw = 0; draw < RANDOM_DRAWS; draw++) {
            StringBuilder name = new StringBuilder(prefix).append('-');
            for (int i = 0; i < 8; i++) {
                name.append(RANDOM_ALPHABET.charAt(RANDOM.nextInt(RANDOM_ALPHABET.length())));
            }
            String candidate = name.toString();
            if (!subdomains.isInUseBy(accountId, candidate) && subdomains.claim(accountId, candidate)) {
                return candidate;
            }
        }
        throw SubdomainService.taken(prefix + "-*");
    }

    private String url(String subdomain) {
        return "https://" + subdomain + "." + config.tunnelDomain();
    }

    private static SluiceException tunnelClosed(CloseReason reason) {
        return new SluiceException(410, ErrorCode.TUNNEL_CLOSED, "The tunnel was closed (" + reason.wire() + ").",
                Map.of("reason", reason.wire()), Map.of());
    }

    private static UUID parseId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw SluiceException.notFound("No tunnel with that id.");
        }
    }

}
