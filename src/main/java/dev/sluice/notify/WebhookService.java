package dev.sluice.notify;

import static dev.sluice.SqlValues.instant;

import java.net.URI;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;
import jakarta.transaction.Transactional;

import org.eclipse.microprofile.context.ThreadContext;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.sluice.UtcNow;
import dev.sluice.account.Account;
import dev.sluice.account.Accounts;
import dev.sluice.audit.AuditTrail;
import dev.sluice.web.RequestFailure;
import dev.sluice.web.RequestIds;
import dev.sluice.web.SluiceException;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.smallrye.mutiny.infrastructure.Infrastructure;

/** An account's webhook endpoints and their delivery log. */
@ApplicationScoped
public class WebhookService {

    public static final Set<String> EVENT_TYPES = Set.of("quota.warning_80pct", "quota.exceeded", "quota.recovered",
            "plan.downgraded", "tunnel.closed", "balance.low", "balance.depleted", "grant.expired",
            "budget.threshold");
    static final int MAX_ENDPOINTS = 10;
    /** Lookups of one account's webhook hosts in flight on a replica at once, at most. */
    static final int LOOKUPS_PER_ACCOUNT = 4;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Returned once, at creation: the only time the secret is shown. */
    // Another record has this simple name; its own schema name spares generated clients a numbered one.
    @Schema(name = "WebhookCreated")
    public record Created(UUID id, String url, List<String> events, String secret, Instant createdAt) {
    }

    public record Endpoint(UUID id, String url, List<String> events, Instant createdAt) {
    }

    public record EndpointList(List<Endpoint> webhooks) {
    }

    /** One attempt, and where its delivery stands now: pending (will retry), delivered or failed (gave up). */
    public record Attempt(UUID eventId, String type, Instant attemptedAt, Integer statusCode, boolean ok,
            String error, String status) {
    }

    public record AttemptList(List<Attempt> deliveries) {
    }

    @Inject
    EntityManager em;
    @Inject
    WebhookTargets targets;
    @Inject
    AuditTrail audit;
    @Inject
    WebhookSecrets secrets;
    @Inject
    ThreadContext context;

    private final InFlight<String> lookups = new InFlight<>();

    /**
     * Checks the target, then stores the endpoint. No thread waits while the host is resolved (see
     * {@link HostResolver}); at most {@value #LOOKUPS_PER_ACCOUNT} of an account's lookups are in flight on a
     * replica at once, and a creation beyond that is refused at once, naming {@code url} as a lookup that failed
     * would. Only the storing, one short transaction, runs on a worker thread, in the request's scope.
     */
    public CompletionStage<Created> create(String slug, String url, List<String> events) {
        if (events == null || events.isEmpty() || events.contains(null) || !EVENT_TYPES.containsAll(events)) {
            throw SluiceException.validation("events", "'events' lists one or more of " + EVENT_TYPES + ".");
        }
        URI target = targets.parse(url);
        if (!lookups.tryTake(slug, LOOKUPS_PER_ACCOUNT)) {
            throw SluiceException.validation("url", "'url' cannot be checked now: " + LOOKUPS_PER_ACCOUNT
                    + " webhook hosts of this account are being resolved already; retry once they are answered.");
        }
        String requestId = RequestIds.current();
        Function<WebhookTargets.Target, Created> store = context.contextualFunction(checked -> {
            AtomicReference<Created> created = new AtomicReference<>();
            RequestIds.during(requestId, () -> created.set(store(slug, url, events)));
            return created.get();
        });
        CompletableFuture<WebhookTargets.Target> checked = targets.check(target);
        checked.whenComplete((done, failure) -> lookups.release(slug));
        return RequestFailure.bind(requestId, checked.thenApplyAsync(store, Infrastructure.getDefaultWorkerPool()));
    }

    private Created store(String slug, String url, List<String> events) {
        return QuarkusTransaction.requiringNew().call(() -> {
            Account account = Accounts.lock(slug);
            if (count(account.accountId()) >= MAX_ENDPOINTS) {
                throw SluiceException.validation("url", "An account has at most " + MAX_ENDPOINTS
                        + " webhook endpoints.");
            }
            UUID id = UUID.randomUUID();
            byte[] key = new byte[32];
            RANDOM.nextBytes(key);
            String secret = "whsec_" + HexFormat.of().formatHex(key);
            Instant now = UtcNow.get();
            List<String> distinct = events.stream().distinct().toList();
            em.createNativeQuery("""
                    insert into webhook_endpoint (account_id, endpoint_id, url, events, secret_ciphertext, created_at)
                    values (:account, :id, :url, cast(:events as text[]), :secret, :now)""")
                    .setParameter("account", account.accountId()).setParameter("id", id).setParameter("url", url)
                    .setParameter("events", "{" + String.join(",", distinct) + "}")
                    .setParameter("secret", secrets.seal(id, secret))
                    .setParameter("now", now).executeUpdate();
            audit.succeeded(slug, "webhook:" + id, "url=" + url + " events=" + distinct);
            return new Created(id, url, distinct, secret, now);
        });
    }

    public EndpointList list(String slug) {
        Account account = Accounts.require(slug);
        @SuppressWarnings("unchecked")
        List<Tuple> rows = em.createNativeQuery("""
                select endpoint_id, url, array_to_string(events, ',') as events, created_at from webhook_endpoint
                 where account_id = :account order by created_at, endpoint_id""", Tuple.class)
                .setParameter("account", account.accountId()).getResultList();
        return new EndpointList(rows.stream().map(r -> new Endpoint((UUID) r.get("endpoint_id"), (String) r.get("url"),
                List.of(((String) r.get("events")).split(",")), instant(r.get("created_at")))).toList());
    }

    @Transactional
    public Map<String, Object> delete(String slug, String id) {
        Account account = Accounts.require(slug);
        int deleted = em.createNativeQuery("delete from webhook_endpoint where account_id = :account and endpoint_id = :id")
                .setParameter("account", account.accountId()).setParameter("id", endpointId(id)).executeUpdate();
        if (deleted == 0) {
            throw SluiceException.notFound("No webhook with that id.");
        }
        audit.succeeded(slug, "webhook:" + id, null);
        return Map.of("ok", true, "id", id);
    }

    /** The newest 100 attempts at the endpoint, newest first. */
    public AttemptList deliveries(String slug, String id) {
        Account account = Accounts.require(slug);
        UUID endpoint = endpointId(id);
        if (((Number) em.createNativeQuery("""
                select count(*) from webhook_endpoint where account_id = :account and endpoint_id = :id""")
                .setParameter("account", account.accountId()).setParameter("id", endpoint).getSingleResult())
                .longValue() == 0) {
            throw SluiceException.notFound("No webhook with that id.");
        }
        @SuppressWarnings("unchecked")
        List<Tuple> rows = em.createNativeQuery("""
                select a.event_id, e.type, a.attempted_at, a.status_code, a.error, d.status from webhook_attempt a
                  join webhook_event e on e.account_id = a.account_id and e.event_id = a.event_id
                  join webhook_delivery d on d.account_id = a.account_id and d.endpoint_id = a.endpoint_id
                                         and d.event_id = a.event_id
                 where a.account_id = :account and a.endpoint_id = :id
                 order by a.attempt_id desc limit 100""", Tuple.class)
                .setParameter("account", account.accountId()).setParameter("id", endpoint).getResultList();
        return new AttemptList(rows.stream().map(r -> {
            Number statusCode = (Number) r.get("status_code");
            Integer code = statusCode == null ? null : statusCode.intValue();
            return new Attempt((UUID) r.get("event_id"), (String) r.get("type"), instant(r.get("attempted_at")), code,
                    code != null && code / 100 == 2, (String) r.get("error"), (String) r.get("status"));
        }).toList());
    }

    private long count(long accountId) {
        return ((Number) em.createNativeQuery("select count(*) from webhook_endpoint where account_id = :account")
                .setParameter("account", accountId).getSingleResult()).longValue();
    }

    private static UUID endpointId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw SluiceException.notFound("No webhook with that id.");
        }
    }
}
