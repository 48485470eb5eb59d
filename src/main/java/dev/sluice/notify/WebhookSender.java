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
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
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
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
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
 * share the work and never send one twice at once) by pushing their next attempt past the end of any attempt the
 * claim starts ({@link #claimFor}), and sends them without waiting for them: the round itself waits only for the
 * database, so rounds follow each other whatever the receivers or their DNS do. A replica has at most
 * {@value #IN_FLIGHT} deliveries in flight, at most {@value #PER_ACCOUNT} of one account's and at most
 * {@value #PER_ENDPOINT} to one endpoint, and each round shares its free slots out evenly among the accounts with
 * deliveries due, oldest due first: one account's slow, stalled or unresolvable endpoints hold a few of its own
 * slots, never another account's. Each attempt resolves its host on the resolver's thread within
 * {@code WEBHOOK_RESOLVE_TIMEOUT}, then has one deadline ({@code WEBHOOK_TIMEOUT}) from connecting to the end of
 * the response body. Each attempt is recorded on its own as it ends, on the sender's one recording thread (so the
 * sender holds at most two connections: its round's and its recorder's): delivered on a 2xx, otherwise retried with
 * exponential backoff (10 s doubling, at most an hour apart) until the event is 24 hours old.
 */
@ApplicationScoped
public class WebhookSender {

    private static final Logger LOG = Logger.getLogger(WebhookSender.class);
    static final int IN_FLIGHT = 64;
    static final int PER_ACCOUNT = 8;
    static final int PER_ENDPOINT = 4;
    /**
     * A claimed delivery is sent only if its claim was taken less than this long ago (else it is left for its claim
     * to expire). The claim lasts a whole attempt beyond twice this, so no attempt runs past its claim, however late
     * its timers fire, and the attempt's record has the rest.
     */
    static final Duration START_WITHIN = Duration.ofSeconds(30);
    /** Only a receiver's status counts; this much of its body is read (and dropped) to keep the connection. */
    static final int BODY_LIMIT = 4096;
    static final Duration GIVE_UP_AFTER = Duration.ofHours(24);
    public static final String SIGNATURE_HEADER = "Sluice-Signature";

    private record Claimed(long accountId, UUID endpointId, UUID eventId, int attempts, String url, String sealed,
            String clear, String type, String data, Instant createdAt, String slug) {
    }

    private record Outcome(Claimed delivery, Integer statusCode, String error) {
    }

    /** Free delivery slots of this replica; a round claims at most what is free. */
    private final Semaphore room = new Semaphore(IN_FLIGHT);
    /** Deliveries in flight per account on this replica; an account at {@value #PER_ACCOUNT} gets no more. */
    private final InFlight<Long> accounts = new InFlight<>();
    /** Deliveries in flight per endpoint on this replica; such endpoints get nothing more until theirs end. */
    private final InFlight<UUID> endpoints = new InFlight<>();
    /** Records attempts one at a time, off the worker threads requests use. */
    private final ExecutorService recorder = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "webhook-record");
        thread.setDaemon(true);
        return thread;
    });

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
    @Inject
    WebhookMetrics metrics;

    private HttpClient http;
    /** How long a claim lasts: longer than any attempt it starts, resolution and exchange, by {@link #START_WITHIN}. */
    private Duration claimFor;

    @PostConstruct
    void open() {
        // Redirects are not followed (Vert.x follows none unless told): the target was checked, its redirect was not.
        // The handshake and an idle pooled connection end within the delivery's deadline too, so a receiver that
        // never finishes its TLS handshake cannot keep one of its endpoint's connections.
        Duration timeout = HostResolver.requirePositive("WEBHOOK_TIMEOUT", config.webhookTimeout());
        http = vertx.createHttpClient(new HttpClientOptions()
                .setConnectTimeout((int) timeout.toMillis())
                .setSslHandshakeTimeout(timeout.toMillis()).setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS)
                .setIdleTimeout((int) timeout.toMillis()).setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                .setMaxPoolSize(PER_ENDPOINT));
        claimFor = config.webhookResolveTimeout().plus(config.webhookTimeout()).plus(START_WITHIN.multipliedBy(2));
    }

    /** Opening the client checks {@code WEBHOOK_TIMEOUT}; observing start-up does it before the first round. */
    void checkAtStartup(@Observes StartupEvent event) {
        // nothing more: open() has run
    }

    @PreDestroy
    void close() {
        http.close();
        recorder.shutdown();
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

    /**
     * One round: shares the free slots among the accounts with deliveries due, claims each one's share in a
     * transaction of its own and starts sending it. The result completes with how many were claimed once every
     * attempt is recorded.
     */
    public CompletableFuture<Integer> deliverDue() {
        int taken = room.drainPermits();
        int claimed = 0;
        List<CompletableFuture<Void>> attempts = new ArrayList<>();
        try {
            List<Long> due = taken == 0 ? List.of() : QuarkusTransaction.requiringNew().call(() -> accountsDue(taken));
            int share = due.isEmpty() ? 0 : Math.max(1, taken / due.size());
            for (long account : due) {
                int want = Math.min(Math.min(share, taken - claimed), PER_ACCOUNT - accounts.count(account));
                if (want <= 0) {
                    continue;
                }
                long claimStarted = System.nanoTime();
                List<Claimed> mine;
                try {
                    // On Citus every claim then locks rows of one shard (a FOR UPDATE across shards is refused).
                    mine = QuarkusTransaction.requiringNew().call(() -> claim(account, want));
                } catch (RuntimeException e) {
                    // What earlier accounts' transactions claimed is committed: send it rather than drop it.
                    LOG.warnf("claiming webhook deliveries of account %d failed, retrying next round: %s", account,
                            e.getMessage());
                    break;
                }
                claimed += mine.size();
                boolean inTime = System.nanoTime() - claimStarted < START_WITHIN.toNanos();
                for (Claimed delivery : mine) {
                    attempts.add(deliver(delivery, inTime));
                }
            }
        } finally {
            room.release(taken - claimed);
        }
        int count = claimed;
        return CompletableFuture.allOf(attempts.toArray(CompletableFuture[]::new)).handle((done, failure) -> count);
    }

    /**
     * Sends one claimed delivery and records the attempt, holding its slots until then. One whose claim took too long
     * to be sure of outlasting an attempt is not sent: it comes back when its claim expires.
     */
    private CompletableFuture<Void> deliver(Claimed delivery, boolean inTime) {
        accounts.take(delivery.accountId());
        endpoints.take(delivery.endpointId());
        CompletableFuture<Void> done;
        if (inTime) {
            done = orFailed(delivery, () -> attempt(delivery)).thenAcceptAsync(this::record, recorder);
        } else {
            LOG.warnf("webhook delivery to endpoint %s not sent: its claim took over %d s; it is retried when the "
                    + "claim expires", delivery.endpointId(), START_WITHIN.toSeconds());
            done = CompletableFuture.completedFuture(null);
        }
        return done.whenComplete((recorded, failure) -> {
            if (failure != null) {
                LOG.warnf("webhook attempt for endpoint %s not recorded: %s", delivery.endpointId(),
                        failure.getMessage());
            }
            endpoints.release(delivery.endpointId());
            accounts.release(delivery.accountId());
            room.release();
        });
    }

    /**
     * Accounts with deliveries due to endpoints this replica is not sending to, longest waiting first, but those
     * with {@value #PER_ACCOUNT} in flight here. Read without locks: the claim re-checks on the locked rows.
     */
    private List<Long> accountsDue(int room) {
        @SuppressWarnings("unchecked")
        List<Object> rows = em.createNativeQuery("""
                select account_id from webhook_delivery
                 where status = 'pending' and next_attempt_at <= now() and endpoint_id <> all (cast(:busy as uuid[]))
                   and account_id <> all (cast(:full as bigint[]))
                 group by account_id order by min(next_attempt_at) limit :room""")
                .setParameter("busy", array(endpoints.atLeast(1)))
                .setParameter("full", array(accounts.atLeast(PER_ACCOUNT))).setParameter("room", room).getResultList();
        return rows.stream().map(id -> ((Number) id).longValue()).toList();
    }

    private static String array(Set<?> values) {
        return "{" + String.join(",", values.stream().map(Object::toString).toList()) + "}";
    }

    /**
     * Claims at most {@code share} of one account's due deliveries, at most {@value #PER_ENDPOINT} per endpoint, none
     * for an endpoint this replica is still sending to, until {@link #claimFor} from now. The window only ranks
     * candidates; {@code due} locks the rows {@code FOR UPDATE SKIP LOCKED}, re-checking status and due time on the
     * locked row, so another replica's claim is skipped, never taken twice. Each claim counts an attempt, and that
     * count is what the attempt's record is fenced by.
     */
    private List<Claimed> claim(long account, int share) {
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
                     order by r.next_attempt_at limit :share
                     for update of d skip locked
                )
                update webhook_delivery d
                   set next_attempt_at = now() + make_interval(secs => :claimSeconds), attempts = d.attempts + 1
                  from due
                  join webhook_endpoint w on w.account_id = due.account_id and w.endpoint_id = due.endpoint_id
                  join webhook_event e on e.account_id = due.account_id and e.event_id = due.event_id
                  join account a on a.account_id = due.account_id
                 where d.account_id = :account and d.account_id = due.account_id and d.endpoint_id = due.endpoint_id
                   and d.event_id = due.event_id
                returning d.account_id, d.endpoint_id, d.event_id, d.attempts, w.url, w.secret_ciphertext, w.secret,
                          e.type, e.data::text as data, e.created_at, a.slug""", Tuple.class)
                .setParameter("account", account).setParameter("busy", array(endpoints.atLeast(1)))
                .setParameter("perEndpoint", PER_ENDPOINT).setParameter("share", share)
                .setParameter("claimSeconds", claimFor.toMillis() / 1000.0).getResultList();
        List<Claimed> claimed = new ArrayList<>();
        for (Tuple r : rows) {
            claimed.add(new Claimed(number(r.get("account_id")), (UUID) r.get("endpoint_id"), (UUID) r.get("event_id"),
                    (int) number(r.get("attempts")), (String) r.get("url"), (String) r.get("secret_ciphertext"),
                    (String) r.get("secret"), (String) r.get("type"), (String) r.get("data"),
                    instant(r.get("created_at")), (String) r.get("slug")));
        }
        return claimed;
    }

    /** Whatever goes wrong in starting an attempt is that delivery's failed attempt, so its slots come back. */
    private static CompletableFuture<Outcome> orFailed(Claimed delivery, Supplier<CompletableFuture<Outcome>> step) {
        try {
            return step.get();
        } catch (RuntimeException e) {
            return failed(delivery, e.getClass().getSimpleName());
        }
    }

    private static CompletableFuture<Outcome> failed(Claimed delivery, String error) {
        return CompletableFuture.completedFuture(new Outcome(delivery, null, error));
    }

    /** Encodes and signs the event, checks the target (its host resolved on the resolver's thread), then sends. */
    private CompletableFuture<Outcome> attempt(Claimed delivery) {
        URI uri;
        String body;
        String secret;
        try {
            uri = targets.parse(delivery.url());
            secret = secrets.open(delivery.endpointId(), delivery.sealed(), delivery.clear());
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("id", delivery.eventId());
            event.put("type", delivery.type());
            event.put("createdAt", delivery.createdAt());
            event.put("account", delivery.slug());
            event.put("data", json.readTree(delivery.data()));
            body = json.writeValueAsString(event);
        } catch (SluiceException e) {
            return failed(delivery, e.getMessage());
        } catch (IllegalStateException e) {
            return failed(delivery, "the endpoint secret does not open with SECRETS_KEY or SECRETS_KEY_PREVIOUS");
        } catch (JsonProcessingException e) {
            return failed(delivery, "event could not be encoded");
        }
        return targets.check(uri).handle((target, failure) -> {
            Throwable cause = failure instanceof CompletionException wrapped ? wrapped.getCause() : failure;
            return cause == null ? orFailed(delivery, () -> send(delivery, target, secret, body))
                    : failed(delivery, cause instanceof SluiceException refused ? refused.getMessage()
                            : cause.getClass().getSimpleName());
        }).thenCompose(Function.identity());
    }

    private CompletableFuture<Outcome> send(Claimed delivery, WebhookTargets.Target target, String secret,
            String body) {
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
            outcome.complete(new Outcome(delivery, null, "no answer within " + WebhookTargets.seconds(timeout)));
            HttpClientRequest request = exchange.get();
            if (request != null) {
                request.reset();
            }
        });
        http.request(options).compose(request -> {
            exchange.set(request);
            if (outcome.isDone()) {
                // Connected after the deadline: the connection goes, rather than staying leased from the pool.
                request.reset();
                return Future.failedFuture("past the deadline");
            }
            return request.send(Buffer.buffer(body, StandardCharsets.UTF_8.name()));
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
     * removed the endpoint and, by cascade, the delivery row, and then nothing is written). The delivery's state is
     * written only while it is still this claim's (its attempt count unchanged): a record so late that its claim
     * expired and another round claimed the delivery again leaves that round's claim alone.
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
                       and attempts = :attempts
                    returning status""")
                    .setParameter("status", next).setParameter("nextAttempt", now.plusSeconds(backoffSeconds))
                    .setParameter("account", d.accountId()).setParameter("endpoint", d.endpointId())
                    .setParameter("event", d.eventId()).setParameter("attempts", d.attempts()).getResultList();
            return updated.isEmpty() ? "claimed again" : (String) updated.get(0);
        });
        metrics.attempted(status);
        if (!delivered) {
            LOG.infof("webhook delivery to endpoint %s failed (%s); status %s", d.endpointId(), error, status);
        }
    }
}
