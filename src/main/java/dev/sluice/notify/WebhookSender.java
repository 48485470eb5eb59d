package dev.sluice.notify;

import static dev.sluice.SqlValues.instant;
import static dev.sluice.SqlValues.number;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sluice.UtcNow;
import dev.sluice.web.SluiceException;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;

/**
 * Delivers the webhook outbox. Each round claims due deliveries with {@code FOR UPDATE SKIP LOCKED} (so replicas
 * share the work and never send one twice at once) by pushing their next attempt two minutes out, sends them in
 * parallel outside any transaction, then records each attempt: delivered on a 2xx, otherwise retried with
 * exponential backoff (10 s doubling, at most an hour apart) until the event is 24 hours old.
 */
@ApplicationScoped
public class WebhookSender {

    private static final Logger LOG = Logger.getLogger(WebhookSender.class);
    static final int BATCH = 50;
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    static final Duration GIVE_UP_AFTER = Duration.ofHours(24);
    public static final String SIGNATURE_HEADER = "Sluice-Signature";

    private record Claimed(long accountId, UUID endpointId, UUID eventId, int attempts, String url, String secret,
            String type, String data, Instant createdAt, String slug) {
    }

    private record Outcome(Claimed delivery, Integer statusCode, String error) {
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER).build();

    @Inject
    EntityManager em;
    @Inject
    ObjectMapper json;
    @Inject
    WebhookTargets targets;

    @Scheduled(identity = "webhook-sender", every = "${webhook-poll-every:1s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            deliverDue();
        } catch (RuntimeException e) {
            LOG.warnf("webhook round failed, retrying next round: %s", e.getMessage());
        }
    }

    /** One round; returns how many deliveries it attempted. */
    public int deliverDue() {
        List<Claimed> claimed = QuarkusTransaction.requiringNew().call(this::claim);
        List<CompletableFuture<Outcome>> sending = claimed.stream().map(this::send).toList();
        List<Outcome> outcomes = sending.stream().map(CompletableFuture::join).toList();
        if (!outcomes.isEmpty()) {
            QuarkusTransaction.requiringNew().run(() -> outcomes.forEach(this::record));
        }
        return outcomes.size();
    }

    private List<Claimed> claim() {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("""
                with due as (
                    select account_id, endpoint_id, event_id from webhook_delivery
                     where status = 'pending' and next_attempt_at <= now()
                     order by next_attempt_at limit :batch
                     for update skip locked
                )
                update webhook_delivery d
                   set next_attempt_at = now() + interval '2 minutes', attempts = d.attempts + 1
                  from due
                  join webhook_endpoint w on w.account_id = due.account_id and w.endpoint_id = due.endpoint_id
                  join webhook_event e on e.account_id = due.account_id and e.event_id = due.event_id
                  join account a on a.account_id = due.account_id
                 where d.account_id = due.account_id and d.endpoint_id = due.endpoint_id
                   and d.event_id = due.event_id
                returning d.account_id, d.endpoint_id, d.event_id, d.attempts, w.url, w.secret, e.type,
                          e.data::text, e.created_at, a.slug""")
                .setParameter("batch", BATCH).getResultList();
        List<Claimed> claimed = new ArrayList<>();
        for (Object[] r : rows) {
            claimed.add(new Claimed(number(r[0]), (UUID) r[1], (UUID) r[2], (int) number(r[3]), (String) r[4],
                    (String) r[5], (String) r[6], (String) r[7], instant(r[8]), (String) r[9]));
        }
        return claimed;
    }

    private CompletableFuture<Outcome> send(Claimed delivery) {
        URI target;
        String body;
        try {
            target = targets.check(delivery.url());
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("id", delivery.eventId());
            event.put("type", delivery.type());
            event.put("createdAt", delivery.createdAt());
            event.put("account", delivery.slug());
            event.put("data", json.readTree(delivery.data()));
            body = json.writeValueAsString(event);
        } catch (SluiceException e) {
            return CompletableFuture.completedFuture(new Outcome(delivery, null, e.getMessage()));
        } catch (JsonProcessingException e) {
            return CompletableFuture.completedFuture(new Outcome(delivery, null, "event could not be encoded"));
        }
        HttpRequest request = HttpRequest.newBuilder(target).timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .header(SIGNATURE_HEADER, signature(delivery.secret(), Instant.now().getEpochSecond(), body))
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                .thenApply(response -> new Outcome(delivery, response.statusCode(), null))
                .exceptionally(failure -> new Outcome(delivery, null, failure.getClass().getSimpleName()));
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

    private void record(Outcome outcome) {
        Claimed d = outcome.delivery();
        boolean delivered = outcome.statusCode() != null && outcome.statusCode() / 100 == 2;
        String error = outcome.error() != null ? outcome.error()
                : delivered ? null : "HTTP " + outcome.statusCode();
        em.createNativeQuery("""
                insert into webhook_attempt (account_id, endpoint_id, event_id, status_code, error)
                values (:account, :endpoint, :event, cast(:code as integer), cast(:error as text))""")
                .setParameter("account", d.accountId()).setParameter("endpoint", d.endpointId())
                .setParameter("event", d.eventId()).setParameter("code", outcome.statusCode())
                .setParameter("error", error).executeUpdate();
        Instant now = UtcNow.get();
        String status = delivered ? "delivered"
                : d.createdAt().plus(GIVE_UP_AFTER).isBefore(now) ? "failed" : "pending";
        long backoffSeconds = Math.min(3600, 10L << Math.min(d.attempts() - 1, 20));
        em.createNativeQuery("""
                update webhook_delivery set status = :status, next_attempt_at = :next
                 where account_id = :account and endpoint_id = :endpoint and event_id = :event""")
                .setParameter("status", status).setParameter("next", now.plusSeconds(backoffSeconds))
                .setParameter("account", d.accountId()).setParameter("endpoint", d.endpointId())
                .setParameter("event", d.eventId()).executeUpdate();
        if (!delivered) {
            LOG.infof("webhook delivery to endpoint %s failed (%s); status %s", d.endpointId(), error, status);
        }
    }
}
