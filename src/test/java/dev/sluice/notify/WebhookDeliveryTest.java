package dev.sluice.notify;

import static dev.sluice.Api.as;
import static dev.sluice.Api.createAccount;
import static dev.sluice.Api.uniqueSlug;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sluice.Api;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;

/** Signed quota webhooks to a receiver on loopback (allowed here by WEBHOOK_ALLOW_PRIVATE=true). */
@QuarkusTest
@TestProfile(WebhookDeliveryTest.LoopbackAllowed.class)
class WebhookDeliveryTest {

    public static class LoopbackAllowed implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("webhook-allow-private", "true", "webhook-poll-every", "0.2s", "webhook-timeout", "2s");
        }
    }

    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    AgroalDataSource db;
    @Inject
    WebhookSender sender;

    @Test
    void aDrainingTunnelSendsOneWarningAndOneExceededSignedLikeStripe() throws Exception {
        try (Receiver receiver = new Receiver()) {
            String slug = uniqueSlug("hooks");
            String service = createAccount(slug, Map.of("dayLimit", 1000, "leaseChunk", 20)).path("serviceToken");
            Response created = as(service).body(Map.of("url", receiver.url(),
                    "events", List.of("quota.warning_80pct", "quota.exceeded", "quota.recovered")))
                    .post("/admin/accounts/" + slug + "/webhooks");
            created.then().statusCode(201).body("secret", startsWith("whsec_"))
                    .body("url", equalTo(receiver.url()));
            String secret = created.path("secret");
            String id = created.path("id");
            as(service).get("/admin/accounts/" + slug + "/webhooks").then().statusCode(200)
                    .body("webhooks", hasSize(1)).body(not(containsString(secret)));

            String api = Api.apiToken(slug, service);
            String tunnel = as(api).body(Map.of()).post("/v1/tunnels").then().statusCode(201).extract().path("id");
            long consumed = 0;
            for (int i = 0; i < 200; i++) {
                Response lease = as(api).body(Map.of("consumed", consumed)).post("/v1/tunnels/" + tunnel + "/lease");
                if (lease.statusCode() == 429) {
                    break;
                }
                consumed = ((Number) lease.path("held")).longValue();
            }
            await(() -> receiver.received.size() >= 2);
            Thread.sleep(1500);
            assertEquals(2, receiver.received.size(), "one event per change of level, never one per request");
            // Deliveries go out in parallel, so arrival order is not promised (as with Stripe); createdAt orders them.
            List<JsonNode> events = new java.util.ArrayList<>();
            for (Receiver.Received r : receiver.received) {
                events.add(JSON.readTree(r.body()));
            }
            events.sort(java.util.Comparator.comparing(e -> e.get("createdAt").asText()));
            JsonNode warning = events.get(0);
            JsonNode exceeded = events.get(1);
            assertEquals("quota.warning_80pct", warning.get("type").asText());
            assertEquals("quota.exceeded", exceeded.get("type").asText());
            assertEquals(slug, exceeded.get("account").asText());
            assertEquals("exceeded", exceeded.get("data").get("level").asText());
            assertTrue(exceeded.hasNonNull("id") && exceeded.hasNonNull("createdAt"));
            for (Receiver.Received r : receiver.received) {
                // Checked independently of the sender's code: t=<unix>,v1=<hex HMAC-SHA256("t.body")>.
                long t = Long.parseLong(r.signature().substring(2, r.signature().indexOf(',')));
                javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
                mac.init(new javax.crypto.spec.SecretKeySpec(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        "HmacSHA256"));
                String expected = java.util.HexFormat.of().formatHex(
                        mac.doFinal((t + "." + r.body()).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                assertEquals("t=" + t + ",v1=" + expected, r.signature());
                assertTrue(Math.abs(System.currentTimeMillis() / 1000 - t) < 60);
            }
            as(service).get("/admin/accounts/" + slug + "/webhooks/" + id + "/deliveries").then().statusCode(200)
                    .body("deliveries", hasSize(2)).body("deliveries[0].statusCode", equalTo(200))
                    .body("deliveries[0].ok", equalTo(true)).body("deliveries[0].status", equalTo("delivered"));

            // Root raises the limit: the next lease finds the account fine again, and says so once.
            dev.sluice.Api.asRoot().body(Map.of("dayLimit", 100_000)).patch("/admin/accounts/" + slug + "/limits")
                    .then().statusCode(200);
            as(api).body(Map.of("consumed", 0)).post("/v1/tunnels/" + tunnel + "/lease").then().statusCode(200);
            as(api).body(Map.of("consumed", 0)).post("/v1/tunnels/" + tunnel + "/lease").then().statusCode(200);
            await(() -> receiver.received.size() >= 3);
            Thread.sleep(1000);
            assertEquals(3, receiver.received.size());
            JsonNode recovered = JSON.readTree(receiver.received.get(2).body());
            assertEquals("quota.recovered", recovered.get("type").asText());
            assertEquals("ok", recovered.get("data").get("level").asText());
        }
    }

    @Test
    void aReceiverThatWasDownGetsTheEventOnRetry() throws Exception {
        try (Receiver receiver = new Receiver()) {
            receiver.status = 503;
            String slug = uniqueSlug("retry");
            String service = createAccount(slug, Map.of("dayLimit", 1000, "plan", "pro")).path("serviceToken");
            String id = as(service).body(Map.of("url", receiver.url(), "events", List.of("tunnel.closed")))
                    .post("/admin/accounts/" + slug + "/webhooks").then().statusCode(201).extract().path("id");
            String api = Api.apiToken(slug, service);
            String tunnel = as(api).body(Map.of()).post("/v1/tunnels").then().statusCode(201).extract().path("id");
            as(api).body(Map.of()).post("/v1/tunnels/" + tunnel + "/close").then().statusCode(200);
            await(() -> as(service).get("/admin/accounts/" + slug + "/webhooks/" + id + "/deliveries")
                    .path("deliveries.size()").equals(1));
            as(service).get("/admin/accounts/" + slug + "/webhooks/" + id + "/deliveries").then()
                    .body("deliveries[0].statusCode", equalTo(503)).body("deliveries[0].ok", equalTo(false));
            assertEquals(0, receiver.received.size());

            receiver.status = 200;
            makeRetriesDue();
            await(() -> receiver.received.size() == 1);
            JsonNode event = JSON.readTree(receiver.received.get(0).body());
            assertEquals("tunnel.closed", event.get("type").asText());
            assertEquals(tunnel, event.get("data").get("tunnelId").asText());
            assertEquals("closed", event.get("data").get("reason").asText());
            makeRetriesDue();
            sender.deliverDue().join();
            assertEquals(1, receiver.received.size(), "a delivered event is not sent again");
        }
    }

    @Test
    void aReceiverThatStallsHoldsUpNoOtherDeliveryAndIsCutOffAtTheDeadline() throws Exception {
        try (Receiver fast = new Receiver(); StalledReceiver bodyless = new StalledReceiver(true);
                StalledReceiver silent = new StalledReceiver(false)) {
            String slug = uniqueSlug("stall");
            String service = createAccount(slug, Map.of("dayLimit", 1000, "plan", "pro")).path("serviceToken");
            String silentId = webhook(service, slug, silent.url());
            webhook(service, slug, bodyless.url());
            String fastId = webhook(service, slug, fast.url());
            closeATunnel(service, slug);

            silent.accepted.get(10, TimeUnit.SECONDS);
            bodyless.accepted.get(10, TimeUnit.SECONDS);
            await(() -> fast.received.size() == 1);
            // The fast endpoint's attempt is on record while both stalled ones still hold their connections.
            await(() -> "delivered".equals(as(service).get("/admin/accounts/" + slug + "/webhooks/" + fastId
                    + "/deliveries").path("deliveries[0].status")));
            assertFalse(silent.closed.isDone() || bodyless.closed.isDone(), "the 2 s deadline has not passed yet");

            // Both are hung up on at the 2 s deadline: the one that never answered, and the one whose body never ends.
            silent.closed.get(5, TimeUnit.SECONDS);
            bodyless.closed.get(5, TimeUnit.SECONDS);
            await(() -> as(service).get("/admin/accounts/" + slug + "/webhooks/" + silentId + "/deliveries")
                    .path("deliveries.size()").equals(1));
            as(service).get("/admin/accounts/" + slug + "/webhooks/" + silentId + "/deliveries").then()
                    .body("deliveries[0].error", equalTo("no answer within 2 s"))
                    .body("deliveries[0].status", equalTo("pending"));
        }
    }

    @Test
    void anEndpointDeletedMidFlightLeavesTheOtherDeliveriesOfItsRoundRecorded() throws Exception {
        try (Receiver held = new Receiver(); Receiver other = new Receiver()) {
            held.gate = new CountDownLatch(1);
            String slug = uniqueSlug("midflight");
            String service = createAccount(slug, Map.of("dayLimit", 1000, "plan", "pro")).path("serviceToken");
            String heldId = webhook(service, slug, held.url());
            String otherId = webhook(service, slug, other.url());
            closeATunnel(service, slug);

            assertTrue(held.requested.await(10, TimeUnit.SECONDS));
            as(service).delete("/admin/accounts/" + slug + "/webhooks/" + heldId).then().statusCode(200);
            held.gate.countDown();
            await(() -> "delivered".equals(as(service).get("/admin/accounts/" + slug + "/webhooks/" + otherId
                    + "/deliveries").path("deliveries[0].status")));
            makeRetriesDue();
            sender.deliverDue().join();
            Thread.sleep(500);
            assertEquals(1, other.received.size(), "the round's other delivery is not sent again");
        }
    }

    @Test
    void theSenderConnectsToTheAddressItCheckedWithTheOriginalHost() throws Exception {
        // "localhost" answers 127.0.0.2 when the target is checked; the system resolver would say 127.0.0.1, where a
        // decoy listens on the same port. Only the checked address may be reached, with the URL's Host.
        Receiver[] pair = checkedAndDecoy();
        try (Receiver checked = pair[0]; Receiver decoy = pair[1]) {
            QuarkusMock.installMockForType(answering(host -> "localhost".equals(host) ? "127.0.0.2" : host),
                    HostResolver.class);
            String slug = uniqueSlug("rebind");
            String service = createAccount(slug, Map.of("dayLimit", 1000, "plan", "pro")).path("serviceToken");
            webhook(service, slug, "http://localhost:" + checked.port() + "/hook");
            closeATunnel(service, slug);
            await(() -> checked.received.size() == 1);
            assertEquals("localhost:" + checked.port(), checked.received.get(0).host());
            assertEquals(0, decoy.received.size());
        }
    }

    /**
     * A receiver on 127.0.0.2 at a free port, and a decoy on the same port of 127.0.0.1. That port may be taken on
     * 127.0.0.1 (by one of this run's own client sockets), so a few ports are tried.
     */
    private static Receiver[] checkedAndDecoy() throws IOException {
        for (int attempt = 1;; attempt++) {
            Receiver checked = new Receiver(InetAddress.getByName("127.0.0.2"), 0);
            try {
                return new Receiver[] { checked, new Receiver(InetAddress.getByName("127.0.0.1"), checked.port()) };
            } catch (BindException taken) {
                checked.close();
                if (attempt == 20) {
                    throw taken;
                }
            }
        }
    }

    @Test
    void overHttpsTheCheckedAddressIsReachedWithTheNameForSniAndTheCertificate() throws Exception {
        TestCertificate certificate = new TestCertificate("hooks.example");
        // The sender trusts the JDK's trust store; for this test, one holding only the receiver's certificate. No
        // https delivery happened before in this application, so its TLS context is built from this one.
        System.setProperty("javax.net.ssl.trustStore", certificate.trustStore().toString());
        System.setProperty("javax.net.ssl.trustStorePassword", TestCertificate.password());
        System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
        try (Receiver receiver = new Receiver(certificate.server())) {
            QuarkusMock.installMockForType(answering(host -> host.endsWith(".example") ? "127.0.0.1" : host),
                    HostResolver.class);
            String slug = uniqueSlug("tls");
            String service = createAccount(slug, Map.of("dayLimit", 1000, "plan", "pro")).path("serviceToken");
            webhook(service, slug, "https://hooks.example:" + receiver.port() + "/hook");
            // The same receiver under a name its certificate does not carry: the handshake must fail.
            String wrongId = webhook(service, slug, "https://other.example:" + receiver.port() + "/hook");
            closeATunnel(service, slug);
            await(() -> receiver.received.size() == 1);
            assertEquals("hooks.example:" + receiver.port(), receiver.received.get(0).host());
            assertTrue(certificate.serverNames.contains("hooks.example"), certificate.serverNames.toString());
            await(() -> as(service).get("/admin/accounts/" + slug + "/webhooks/" + wrongId + "/deliveries")
                    .path("deliveries.size()").equals(1));
            as(service).get("/admin/accounts/" + slug + "/webhooks/" + wrongId + "/deliveries").then()
                    .body("deliveries[0].statusCode", nullValue()).body("deliveries[0].ok", equalTo(false));
            assertEquals(1, receiver.received.size());
        } finally {
            System.clearProperty("javax.net.ssl.trustStore");
            System.clearProperty("javax.net.ssl.trustStorePassword");
            System.clearProperty("javax.net.ssl.trustStoreType");
        }
    }

    /** A stand-in for DNS: each host answers the address literal {@code answer} gives it. */
    static HostResolver answering(UnaryOperator<String> answer) {
        return new HostResolver() {
            @Override
            public CompletableFuture<List<InetAddress>> resolve(String host) {
                try {
                    return CompletableFuture.completedFuture(List.of(InetAddress.getByName(answer.apply(host))));
                } catch (UnknownHostException e) {
                    return CompletableFuture.failedFuture(e);
                }
            }
        };
    }

    static String webhook(String service, String slug, String url) {
        return as(service).body(Map.of("url", url, "events", List.of("tunnel.closed")))
                .post("/admin/accounts/" + slug + "/webhooks").then().statusCode(201).extract().path("id");
    }

    static void closeATunnel(String service, String slug) {
        String api = Api.apiToken(slug, service);
        String tunnel = as(api).body(Map.of()).post("/v1/tunnels").then().statusCode(201).extract().path("id");
        as(api).body(Map.of()).post("/v1/tunnels/" + tunnel + "/close").then().statusCode(200);
    }

    private void makeRetriesDue() throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "update webhook_delivery set next_attempt_at = now() where status = 'pending'")) {
            s.executeUpdate();
        }
    }

    static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 20 s");
            }
            Thread.sleep(100);
        }
    }
}
