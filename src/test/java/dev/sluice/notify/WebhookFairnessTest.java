package dev.sluice.notify;

import static dev.sluice.Api.as;
import static dev.sluice.Api.createAccount;
import static dev.sluice.Api.uniqueSlug;
import static dev.sluice.notify.WebhookDeliveryTest.await;
import static dev.sluice.notify.WebhookDeliveryTest.closeATunnel;
import static dev.sluice.notify.WebhookDeliveryTest.webhook;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;

/**
 * Webhooks whose hosts never resolve, against a nameserver on loopback that answers no query: creations are refused at
 * WEBHOOK_RESOLVE_TIMEOUT holding no thread meanwhile, another account's leases and webhooks go on, and a claimed
 * delivery's claim outlasts its attempt.
 */
@QuarkusTest
@TestProfile(WebhookFairnessTest.SilentDns.class)
class WebhookFairnessTest {

    static final Duration RESOLVE_TIMEOUT = Duration.ofSeconds(3);
    static final Duration TIMEOUT = Duration.ofSeconds(6);

    public static class SilentDns implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("webhook-nameservers", "127.0.0.1:" + SilentNameserver.port(),
                    "webhook-resolve-timeout", RESOLVE_TIMEOUT.toString(), "webhook-timeout", TIMEOUT.toString(),
                    "webhook-allow-private", "true", "webhook-poll-every", "0.2s");
        }
    }

    @Inject
    AgroalDataSource db;

    @Test
    void creationsWhoseHostNeverResolvesAreRefusedWhileAnotherAccountLeases() throws Exception {
        String other = uniqueSlug("other");
        String otherService = createAccount(other, Map.of("dayLimit", 1000, "plan", "pro")).path("serviceToken");
        String api = Api.apiToken(other, otherService);
        String tunnel = as(api).body(Map.of()).post("/v1/tunnels").then().statusCode(201).extract().path("id");
        as(api).body(Map.of("consumed", 0)).post("/v1/tunnels/" + tunnel + "/lease").then().statusCode(200);

        // Six accounts with four lookups each, and one sending 24 at once: more lookups than the 16 worker threads.
        ExecutorService clients = Executors.newFixedThreadPool(48);
        List<Future<Response>> creations = new ArrayList<>();
        List<Future<Response>> flood = new ArrayList<>();
        try {
            for (int account = 0; account < 6; account++) {
                String slug = uniqueSlug("silent");
                String service = Api.serviceToken(slug);
                for (int i = 0; i < WebhookService.LOOKUPS_PER_ACCOUNT; i++) {
                    creations.add(clients.submit(() -> create(service, slug)));
                }
            }
            String flooding = uniqueSlug("flood");
            String floodService = Api.serviceToken(flooding);
            for (int i = 0; i < 24; i++) {
                flood.add(clients.submit(() -> create(floodService, flooding)));
            }
            creations.addAll(flood);
            // Those beyond the flooding account's share of lookups are refused at once: the others are in flight.
            await(() -> flood.stream().anyMatch(Future::isDone));

            as(api).body(Map.of("consumed", 0)).post("/v1/tunnels/" + tunnel + "/lease").then().statusCode(200);
            // Answered before any lookup ran out: none of them held a thread the lease needed.
            List<Future<Response>> answeredBefore = creations.stream().filter(Future::isDone).toList();
            assertTrue(answeredBefore.size() < creations.size(), "the lease was answered while lookups were in flight");
            for (Future<Response> creation : answeredBefore) {
                String message = creation.get().path("message");
                assertTrue(message.contains("being resolved already"), message);
            }

            int timedOut = 0;
            int overShare = 0;
            List<String> others = new ArrayList<>();
            for (Future<Response> creation : creations) {
                Response refused = creation.get(30, TimeUnit.SECONDS);
                refused.then().statusCode(400).body("code", equalTo("VALIDATION_FAILED")).body("field", equalTo("url"));
                String message = refused.path("message");
                if (message.contains("did not resolve within 3 s")) {
                    timedOut++;
                } else if (message.contains("being resolved already")) {
                    overShare++;
                } else {
                    others.add(message);
                }
            }
            assertEquals(List.of(), others, "each one refused for one of the two reasons");
            assertTrue(overShare > 0 && timedOut >= 7 * WebhookService.LOOKUPS_PER_ACCOUNT,
                    timedOut + " timed out, " + overShare + " refused at once");
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void anotherAccountsWebhookIsDeliveredWhileOneAccountsEndpointsStall() throws Exception {
        List<StalledReceiver> stalled = new ArrayList<>();
        try (Receiver fast = new Receiver()) {
            for (int i = 0; i < 5; i++) {
                stalled.add(new StalledReceiver(false));
            }
            String noisy = uniqueSlug("noisy");
            String noisyService = createAccount(noisy, Map.of("dayLimit", 1000, "plan", "pro")).path("serviceToken");
            for (int i = 0; i < 5; i++) {
                // Its DNS goes silent after creation: the host is resolved again before every delivery.
                String id = webhook(noisyService, noisy, fast.url());
                update("update webhook_endpoint set url = ? where endpoint_id = ?", "http://h" + i
                        + ".silent.test/hook", UUID.fromString(id));
            }
            for (StalledReceiver receiver : stalled) {
                webhook(noisyService, noisy, receiver.url());
            }
            String other = uniqueSlug("other");
            String otherService = createAccount(other, Map.of("dayLimit", 1000, "plan", "pro")).path("serviceToken");
            String otherId = webhook(otherService, other, fast.url());

            for (int i = 0; i < 6; i++) {
                closeATunnel(noisyService, noisy); // 60 deliveries, every one of which stalls
            }
            closeATunnel(otherService, other);
            await(() -> fast.received.size() == 1);
            assertTrue(stalled.stream().noneMatch(receiver -> receiver.closed.isDone()),
                    "delivered while the noisy account's attempts still hang");
            await(() -> "delivered".equals(as(otherService).get("/admin/accounts/" + other + "/webhooks/" + otherId
                    + "/deliveries").path("deliveries[0].status")));

            // The noisy account's DNS really was silent: its attempts end at the resolve deadline.
            await(() -> count("""
                    select count(*) from webhook_attempt a
                     where a.account_id = (select s.account_id from account_slug s where s.slug = ?)
                       and a.error like '%did not resolve within 3 s%'""", noisy) > 0);
        } finally {
            for (StalledReceiver receiver : stalled) {
                receiver.close();
            }
        }
    }

    @Test
    void aClaimOutlastsTheAttemptItStartsAndALateRecordLeavesANewerClaimAlone() throws Exception {
        try (StalledReceiver stalled = new StalledReceiver(false)) {
            String slug = uniqueSlug("claim");
            String service = createAccount(slug, Map.of("dayLimit", 1000, "plan", "pro")).path("serviceToken");
            UUID endpoint = UUID.fromString(webhook(service, slug, stalled.url()));
            Instant before = instant("select now()");
            closeATunnel(service, slug);

            stalled.accepted.get(10, TimeUnit.SECONDS);
            // The attempt is under way: its claim ends after any attempt it starts could (resolution, then exchange).
            Instant claimedUntil = instant("select next_attempt_at from webhook_delivery where endpoint_id = ?",
                    endpoint);
            assertFalse(claimedUntil.isBefore(before.plus(RESOLVE_TIMEOUT).plus(TIMEOUT)), claimedUntil.toString());

            // As if the claim had expired and another replica had claimed the delivery again meanwhile.
            update("""
                    update webhook_delivery set attempts = attempts + 1, next_attempt_at = now() + interval '1 hour'
                     where endpoint_id = ?""", endpoint);
            stalled.closed.get(TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
            await(() -> as(service).get("/admin/accounts/" + slug + "/webhooks/" + endpoint + "/deliveries")
                    .path("deliveries.size()").equals(1));
            as(service).get("/admin/accounts/" + slug + "/webhooks/" + endpoint + "/deliveries").then()
                    .body("deliveries[0].error", equalTo("no answer within 6 s"));
            // The attempt is logged, but the delivery stays as the newer claim left it.
            assertTrue(instant("select next_attempt_at from webhook_delivery where endpoint_id = ?", endpoint)
                    .isAfter(Instant.now().plus(Duration.ofMinutes(30))));
        }
    }

    private static Response create(String service, String slug) {
        return as(service).body(Map.of("url", "http://" + UUID.randomUUID() + ".silent.test/hook",
                "events", List.of("tunnel.closed"))).post("/admin/accounts/" + slug + "/webhooks");
    }

    private void update(String sql, Object... parameters) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = prepared(c, sql, parameters)) {
            s.executeUpdate();
        }
    }

    private Instant instant(String sql, Object... parameters) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = prepared(c, sql, parameters);
                ResultSet r = s.executeQuery()) {
            r.next();
            return r.getTimestamp(1).toInstant();
        }
    }

    private long count(String sql, Object... parameters) {
        try (Connection c = db.getConnection(); PreparedStatement s = prepared(c, sql, parameters);
                ResultSet r = s.executeQuery()) {
            r.next();
            return r.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static PreparedStatement prepared(Connection c, String sql, Object... parameters) throws SQLException {
        PreparedStatement s = c.prepareStatement(sql);
        for (int i = 0; i < parameters.length; i++) {
            s.setObject(i + 1, parameters[i]);
        }
        return s;
    }
}
