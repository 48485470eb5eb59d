package dev.sluice.notify;

import static dev.sluice.SqlValues.instant;
import static dev.sluice.SqlValues.number;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sluice.web.SluiceException;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;

/**
 * Delivers the webhook outbox. Each round claims due deliveries with {@code FOR UPDATE SKIP LOCKED} (so replicas
 * share the work and never send one twice at once) by pushing their next attempt two minutes out, and sends them
 * without waiting for earlier rounds: a replica has at most {@value #IN_FLIGHT} deliveries in flight, at most
 * {@value #PER_ENDPOINT} to any one endpoint, and each has one deadline ({@code WEBHOOK_TIMEOUT}) from connecting to
 * the end of the response body, so a slow receiver holds a few of its own slots, never anyone else's. Each attempt is
 * recorded on its own as it ends: delivered on a 2xx, otherwise retried with exponential backoff (10 s doubling, at
 * most an hour apart) until the event is 24 hours old.
 */
@ApplicationScoped
public class WebhookSender {

    private static final Logger LOG = Logger.getLogger(WebhookSender.class);
    static final int BATCH = 50;
    static final int IN_FLIGHT = 64;
    static final int PER_ENDPOINT = 4;
    /** Only a receiver's status counts; this much of its body is read (and dropped) to keep the connection. */
    static final int BODY_LIMIT = 4096;
    static final Duration GIVE_UP_AFTER = Duration.ofHours(24);
    public static final String SIGNATURE_HEADER = "Sluice-Signature";

    private record Claimed(long accountId, UUID endpointId, UUID eventId, int attempts, String url, String sealed,
            String clear, String type, String data, Instant createdAt, String slug) {
    }

    private record Outcome(Claimed delivery, Integer statusCode, String error) {
    }

    /** Free delivery slots of this replica; a claim takes at most what is free. */
    private final Semaphore room = new Semaphore(IN_FLIGHT);
    /** Deliveries in flight per endpoint on this replica; such endpoints get nothing more until theirs end. */
    private final Map<UUID, Integer> busy = new ConcurrentHashMap<>();

    @Inject
    EntityManager em;
    @Inject
    ObjectMapper json;
    @Inject
    WebhookTargets targets;
    @Inject
    WebhookSecrets secrets;
    @Inject
    Vertx vertx;
    @Inject
    WebhookConfig config;

    private HttpClient http;

    @PostConstruct
    void open() {
        // Redirects are not followed (Vert.x follows none unless told): the target was checked, its redirect was not.
        http = vertx.createHttpClient(new HttpClientOptions()
                .setConnectTimeout((int) config.webhookTimeout().toMillis())
                .setMaxPoolSize(PER_ENDPOINT));
    }

    @PreDestroy
    void close() {
        http.close();
    }

    @Scheduled(identity = "webhook-sender", every = "${webhook-poll-every}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            deliverDue();
        } catch (RuntimeException e) {
            LOG.warnf("webhook round failed, retrying next round: %s", e.getMessage());
        }
    }

    /** One round: claims and sends what is due; the result completes with how many once every attempt is recorded. */
    public CompletableFuture<Integer> deliverDue() {
        int taken = room.drainPermits();
        List<Claimed> claimed = List.of();
        try {
            if (taken > 0) {
                claimed = claim(taken);
            }
        } finally {
            room.release(taken - claimed.size());
        }
        List<CompletableFuture<Void>> attempts = new ArrayList<>();
        for (Claimed delivery : claimed) {
            busy.merge(delivery.endpointId(), 1, Integer::sum);
            attempts.add(sendOrFail(delivery)
                    // Recording blocks on the database, so it leaves the event loop the answer arrived on.
                    .thenAcceptAsync(this::record, Infrastructure.getDefaultWorkerPool())
                    .whenComplete((done, failure) -> {
                        if (failure != null) {
                            LOG.warnf("webhook attempt for endpoint %s not recorded: %s", delivery.endpointId(),
                                    failure.getMessage());
                        }
                        busy.computeIfPresent(delivery.endpointId(), (id, n) -> n == 1 ? null : n - 1);
                        room.release();
                    }));
        }
        int count = claimed.size();
        return CompletableFuture.allOf(attempts.toArray(CompletableFuture[]::new)).handle((done, failure) -> count);
    }

    /**
     * Claims at most {@code room} due deliveries, account by account, each account's in a transaction of its own:
     * on Citus every claim then locks rows of one shard (a {@code FOR UPDATE} across shards is refused). Which
     * accounts have deliveries due is read without locks; the claim re-checks on the locked rows.
     */
    private List<Claimed> claim(int room) {
        List<Claimed> claimed = new ArrayList<>();
        for (long account : QuarkusTransaction.requiringNew().call(() -> accountsDue(room))) {
            int left = room - claimed.size();
            if (left == 0) {
                break;
            }
            try {
                claimed.addAll(QuarkusTransaction.requiringNew().call(() -> claim(account, left)));
            } catch (RuntimeException e) {
                // What earlier accounts' transactions claimed is committed: send it rather than drop it.
                LOG.warnf("claiming webhook deliveries of account %d failed, retrying next round: %s", account,
                        e.getMessage());
                break;
            }
        }
        return claimed;
    }

    /** Accounts with deliveries due to endpoints this replica is not sending to, longest waiting first. */
    private List<Long> accountsDue(int room) {
        @SuppressWarnings("unchecked")
        List<Object> rows = em.createNativeQuery("""
                select account_id from webhook_delivery
                 where status = 'pending' and next_attempt_at <= now() and endpoint_id <> all (cast(:busy as uuid[]))
                 group by account_id order by min(next_attempt_at) limit :room""")
                .setParameter("busy", busyEndpoints()).setParameter("room", room).getResultList();
        return rows.stream().map(id -> ((Number) id).longValue()).toList();
    }

    private String busyEndpoints() {
        return "{" + String.join(",", busy.keySet().stream().map(UUID::toString).toList()) + "}";
    }

    /**
     * Claims at most {@code room} of one account's due deliveries, at most {@value #PER_ENDPOINT} per endpoint, none
     * for an endpoint this replica is still sending to. The window only ranks candidates; {@code due} locks the rows
     * {@code FOR UPDATE SKIP LOCKED}, re-checking status and due time on the locked row, so another replica's claim
     * is skipped, never taken twice.
     */
    private List<Claimed> claim(long account, int room) {
        @SuppressWarnings("unchecked")
        List<Tuple> rows = em.createNativeQuery("""
                with ranked as (
                    select account_id, endpoint_id, event_id, next_attempt_at,
                           row_number() over (partition by account_id, endpoint_id order by next_attempt_at) as n
                      from webhook_delivery
                     where account_id = :account and status = 'pending' and next_attempt_at <= now()
                       and endpoint_id <> all (cast(:busy as uuid[]))
                ), due as (
                    select d.account_id, d.endpoint_id, d.event_id from webhook_delivery d
                      join ranked r on r.account_id = d.account_id and r.endpoint_id = d.endpoint_id
                                   and r.event_id = d.event_id
                     where d.account_id = :account and r.n <= :perEndpoint and d.status = 'pending'
                       and d.next_attempt_at <= now()
                     order by r.next_attempt_at limit :batch
                     for update of d skip locked
                )
                update webhook_delivery d
                   set next_attempt_at = now() + interval '2 minutes', attempts = d.attempts + 1
                  from due
                  join webhook_endpoint w on w.account_id = due.account_id and w.endpoint_id = due.endpoint_id
                  join webhook_event e on e.account_id = due.account_id and e.event_id = due.event_id
                  join account a on a.account_id = due.account_id
                 where d.account_id = :account and d.account_id = due.account_id and d.endpoint_id = due.endpoint_id
                   and d.event_id = due.event_id
                returning d.account_id, d.endpoint_id, d.event_id, d.attempts, w.url, w.secret_ciphertext, w.secret,
                          e.type, e.data::text as data, e.created_at, a.slug""", Tuple.class)
                .setParameter("account", account).setParameter("busy", busyEndpoints())
                .setParameter("perEndpoint", PER_ENDPOINT).setParameter("batch", Math.min(BATCH, room))
                .getResultList();
        List<Claimed> claimed = new ArrayList<>();
        for (Tuple r : rows) {
            claimed.add(new Claimed(number(r.get("account_id")), (UUID) r.get("endpoint_id"), (UUID) r.get("event_id"),
                    (int) number(r.get("attempts")), (String) r.get("url"), (String) r.get("secret_ciphertext"),
                    (String) r.get("secret"), (String) r.get("type"), (String) r.get("data"),
                    instant(r.get("created_at")), (String) r.get("slug")));
        }
        return claimed;
    }

    /** Whatever goes wrong in starting a delivery is that delivery's failed attempt, so its slots come back. */
    private CompletableFuture<Outcome> sendOrFail(Claimed delivery) {
        try {
            return send(delivery);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(new Outcome(delivery, null, e.getClass().getSimpleName()));
        }
    }

    private CompletableFuture<Outcome> send(Claimed delivery) {
        WebhookTargets.Target target;
        String body;
        String secret;
        try {
            target = targets.check(delivery.url());
            secret = secrets.open(delivery.endpointId(), delivery.sealed(), delivery.clear());
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("id", delivery.eventId());
            event.put("type", delivery.type());
            event.put("createdAt", delivery.createdAt());
            event.put("account", delivery.slug());
            event.put("data", json.readTree(delivery.data()));
            body = json.writeValueAsString(event);
        } catch (SluiceException e) {
            return CompletableFuture.completedFuture(new Outcome(delivery, null, e.getMessage()));
        } catch (IllegalStateException e) {
            return CompletableFuture.completedFuture(new Outcome(delivery, null, "the endpoint secret does not "
                    + "open with SECRETS_KEY or SECRETS_KEY_PREVIOUS"));
        } catch (JsonProcessingException e) {
            return CompletableFuture.completedFuture(new Outcome(delivery, null, "event could not be encoded"));
        }
        URI uri = target.uri();
        boolean https = "https".equals(uri.getScheme());
        int port = uri.getPort() != -1 ? uri.getPort() : https ? 443 : 80;
        // Connect to the checked address; Host, SNI and the certificate check still use the URL's host name.
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
                .setServer(SocketAddress.inetSocketAddress(new InetSocketAddress(target.address(), port)))
                .setHost(uri.getHost()).setPort(port).setSsl(https).setURI(uri.getRawPath().isEmpty() ? "/"
                        : uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()))
                .putHeader("Content-Type", "application/json")
                .putHeader(SIGNATURE_HEADER, signature(secret, Instant.now().getEpochSecond(), body));

        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        AtomicReference<HttpClientRequest> exchange = new AtomicReference<>();
        Duration timeout = config.webhookTimeout();
        long deadline = vertx.setTimer(timeout.toMillis(), fired -> {
            outcome.complete(new Outcome(delivery, null, "no answer within " + timeout.toSeconds() + " s"));
            HttpClientRequest request = exchange.get();
            if (request != null) {
                request.reset();
            }
        });
        http.request(options).compose(request -> {
            exchange.set(request);
            return outcome.isDone() ? Future.failedFuture("past the deadline")
                    : request.send(Buffer.buffer(body, StandardCharsets.UTF_8.name()));
        }).onSuccess(response -> {
            outcome.complete(new Outcome(delivery, response.statusCode(), null));
            drain(response, exchange.get(), deadline);
        }).onFailure(failure -> {
            vertx.cancelTimer(deadline);
            outcome.complete(new Outcome(delivery, null, failure.getClass().getSimpleName()));
        });
        return outcome;
    }

    /** Reads at most {@link #BODY_LIMIT} bytes of the answer before the deadline; past either, the connection goes. */
    private void drain(HttpClientResponse response, HttpClientRequest request, long deadline) {
        AtomicLong read = new AtomicLong();
        response.handler(chunk -> {
            if (read.addAndGet(chunk.length()) > BODY_LIMIT) {
                vertx.cancelTimer(deadline);
                request.reset();
            }
        });
        response.endHandler(end -> vertx.cancelTimer(deadline));
        response.exceptionHandler(failure -> vertx.cancelTimer(deadline));
    }

    /** Stripe's scheme: {@code t=<unix>,v1=<hex HMAC-SHA256 of "t.body" with the endpoint secret>}. */
    public static String signature(String secret, long timestamp, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] digest = mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
            return "t=" + timestamp + ",v1=" + HexFormat.of().formatHex(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /**
     * Records one attempt in its own transaction, so one delivery's trouble never rolls back another's bookkeeping.
     * The endpoint may have been deleted while its delivery was in flight: the attempt row is written only while the
     * endpoint row exists, which {@code FOR KEY SHARE} holds until commit (a concurrent delete waits, or has already
     * removed the endpoint and, by cascade, the delivery row, and then nothing is written).
     */
    private void record(Outcome outcome) {
        Claimed d = outcome.delivery();
        boolean delivered = outcome.statusCode() != null && outcome.statusCode() / 100 == 2;
        String error = outcome.error() != null ? outcome.error()
                : delivered ? null : "HTTP " + outcome.statusCode();
        long backoffSeconds = Math.min(3600, 10L << Math.min(d.attempts() - 1, 20));
        // The next attempt and the 24-hour give-up are judged by the database's clock, as the claim query judges them.
        String status = QuarkusTransaction.requiringNew().call(() -> {
            if (em.createNativeQuery("""
                    select 1 from webhook_endpoint where account_id = :account and endpoint_id = :endpoint
                       for key share""").setParameter("account", d.accountId())
                    .setParameter("endpoint", d.endpointId()).getResultList().isEmpty()) {
                return "gone";
            }
            em.createNativeQuery("""
                    insert into webhook_attempt (account_id, endpoint_id, event_id, status_code, error)
                    values (:account, :endpoint, :event, cast(:code as integer), cast(:error as text))""")
                    .setParameter("account", d.accountId()).setParameter("endpoint", d.endpointId())
                    .setParameter("event", d.eventId()).setParameter("code", outcome.statusCode())
                    .setParameter("error", error).executeUpdate();
            // The database's now(), read first and compared here: Citus refuses a clock (now(), or timestamptz
            // arithmetic, which depends on the time zone) inside the CASE of a distributed UPDATE.
            Instant now = instant(em.createNativeQuery("select now()").getSingleResult());
            String next = delivered ? "delivered"
                    : d.createdAt().plus(GIVE_UP_AFTER).isBefore(now) ? "failed" : "pending";
            List<?> updated = em.createNativeQuery("""
                    update webhook_delivery set status = :status, next_attempt_at = :nextAttempt
                     where account_id = :account and endpoint_id = :endpoint and event_id = :event
                    returning status""")
                    .setParameter("status", next).setParameter("nextAttempt", now.plusSeconds(backoffSeconds))
                    .setParameter("account", d.accountId()).setParameter("endpoint", d.endpointId())
                    .setParameter("event", d.eventId()).getResultList();
            return updated.isEmpty() ? "gone" : (String) updated.get(0);
        });
        if (!delivered) {
            LOG.infof("webhook delivery to endpoint %s failed (%s); status %s", d.endpointId(), error, status);
        }
    }
}
