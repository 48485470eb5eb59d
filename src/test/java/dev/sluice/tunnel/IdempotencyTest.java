package dev.sluice.tunnel;

import static dev.sluice.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sluice.Race;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/** Idempotency-Key on registration, lease and close: a retry is answered as the first call was, and charged once. */
@QuarkusTest
class IdempotencyTest {

    private static Response lease(Relay relay, String tunnel, String key, Map<String, Object> body) {
        return as(relay.api()).header("Idempotency-Key", key).body(body).post("/v1/tunnels/" + tunnel + "/lease");
    }

    @Test
    void aRetriedLeaseIsReplayedByteForByteAndChargedOnce() {
        Relay relay = Relay.create("idem-lease", Map.of("dayLimit", 10_000));
        String tunnel = relay.open();
        Response first = lease(relay, tunnel, "lease-1", Map.of("consumed", 0));
        first.then().statusCode(200).header("Idempotent-Replayed", nullValue());
        Response retry = lease(relay, tunnel, "lease-1", Map.of("consumed", 0, "want", 50));
        retry.then().statusCode(200).header("Idempotent-Replayed", equalTo("true"));
        assertEquals(first.asString(), retry.asString());
        for (String header : List.of("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")) {
            assertEquals(first.header(header), retry.header(header));
        }
        assertNotEquals(first.header("X-Request-Id"), retry.header("X-Request-Id"));
        as(relay.api()).get("/v1/usage").then().body("day.leased", equalTo(50)).body("day.used", equalTo(1));
    }

    @Test
    void aKeyReusedForAnotherBodyTunnelOrAnOlderReportIsAConflict() {
        Relay relay = Relay.create("idem-conflict", Map.of("plan", "pro", "dayLimit", 10_000));
        String tunnel = relay.open();
        String other = relay.open();
        lease(relay, tunnel, "k1", Map.of("consumed", 0)).then().statusCode(200);
        lease(relay, tunnel, "k1", Map.of("consumed", 5)).then().statusCode(409)
                .body("code", equalTo("IDEMPOTENCY_CONFLICT"));
        lease(relay, other, "k1", Map.of("consumed", 0)).then().statusCode(409)
                .body("code", equalTo("IDEMPOTENCY_CONFLICT"));
        lease(relay, tunnel, "k2", Map.of("consumed", 10)).then().statusCode(200);
        lease(relay, tunnel, "k1", Map.of("consumed", 0)).then().statusCode(409);
        as(relay.api()).header("Idempotency-Key", "k2").body(Map.of()).post("/v1/tunnels").then().statusCode(409);
        as(relay.api()).get("/v1/usage").then().body("day.used", equalTo(2 + 10)).body("day.leased", equalTo(40 + 50));
    }

    @Test
    void concurrentRequestsWithOneKeyAreChargedOnce() throws Exception {
        Relay relay = Relay.create("idem-race", Map.of("dayLimit", 10_000));
        String tunnel = relay.open();
        relay.lease(tunnel, null, null).then().statusCode(200);
        List<Response> answers = Race.run(8, i -> () -> lease(relay, tunnel, "race", Map.of("consumed", 30)));
        for (Response answer : answers) {
            assertTrue(answer.statusCode() == 200 || answer.statusCode() == 409, answer.asString());
            if (answer.statusCode() == 200) {
                assertEquals(answers.stream().filter(a -> a.statusCode() == 200).findFirst().orElseThrow().asString(),
                        answer.asString());
            }
        }
        as(relay.api()).get("/v1/usage").then().body("day.used", equalTo(1 + 30));
    }

    @Test
    void aRetriedRegistrationOpensOneTunnel() {
        Relay relay = Relay.create("idem-register", Map.of("dayLimit", 10_000));
        Response first = as(relay.api()).header("Idempotency-Key", "open-1").body(Map.of()).post("/v1/tunnels");
        first.then().statusCode(201);
        Response retry = as(relay.api()).header("Idempotency-Key", "open-1").body(Map.of("password", false))
                .post("/v1/tunnels");
        retry.then().statusCode(201).header("Idempotent-Replayed", equalTo("true"));
        assertEquals(first.asString(), retry.asString());
        assertEquals(first.header("RateLimit-Remaining"), retry.header("RateLimit-Remaining"));
        as(relay.api()).header("Idempotency-Key", "open-1").body(Map.of("region", "eu")).post("/v1/tunnels").then()
                .statusCode(409).body("code", equalTo("IDEMPOTENCY_CONFLICT"));
        as(relay.service()).get("/v1/tunnels").then().body("tunnels.size()", equalTo(1));
        as(relay.api()).get("/v1/usage").then().body("day.used", equalTo(1));
    }

    @Test
    void concurrentRegistrationsWithOneKeyOpenOneTunnel() throws Exception {
        Relay relay = Relay.create("idem-open-race", Map.of("plan", "pro", "dayLimit", 10_000));
        List<Response> answers = Race.run(6, i -> () -> as(relay.api()).header("Idempotency-Key", "open")
                .body(Map.of()).post("/v1/tunnels"));
        for (Response answer : answers) {
            answer.then().statusCode(201);
            assertEquals(answers.get(0).asString(), answer.asString());
        }
        as(relay.service()).get("/v1/tunnels").then().body("tunnels.size()", equalTo(1));
    }

    @Test
    void quotaAndClosedAnswersAreReplayedWithTheirHeadersAndFirstRequestId() {
        Relay relay = Relay.create("idem-429", Map.of("dayLimit", 1));
        String tunnel = relay.open();
        Response first = lease(relay, tunnel, "q", Map.of());
        first.then().statusCode(429).body("code", equalTo("QUOTA_EXCEEDED"));
        Response retry = lease(relay, tunnel, "q", Map.of());
        retry.then().statusCode(429).header("Idempotent-Replayed", equalTo("true"));
        assertEquals(first.asString(), retry.asString());
        assertEquals(first.header("Retry-After"), retry.header("Retry-After"));

        // Closed since (not by a report of its own): the retry learns so, and is charged nothing more.
        as(relay.service()).post("/admin/accounts/" + relay.slug() + "/suspend").then().statusCode(200);
        lease(relay, tunnel, "q", Map.of()).then().statusCode(410).body("reason", equalTo("suspended"))
                .header("Idempotent-Replayed", nullValue());
    }

    @Test
    void aRetriedCloseReturnsTheSameLeaseOnce() {
        Relay relay = Relay.create("idem-close", Map.of("dayLimit", 10_000));
        String tunnel = relay.open();
        relay.lease(tunnel, null, null).then().statusCode(200);
        Response first = as(relay.api()).header("Idempotency-Key", "bye").body(Map.of("consumed", 10))
                .post("/v1/tunnels/" + tunnel + "/close");
        first.then().statusCode(200).body("returned", equalTo(40));
        Response retry = as(relay.api()).header("Idempotency-Key", "bye").body(Map.of("consumed", 10))
                .post("/v1/tunnels/" + tunnel + "/close");
        retry.then().statusCode(200).header("Idempotent-Replayed", equalTo("true"));
        assertEquals(first.asString(), retry.asString());
        as(relay.api()).get("/v1/usage").then().body("day.used", equalTo(1 + 10));
    }

    @Test
    void aKeyMustBeOneTo255PrintableAsciiCharacters() {
        Relay relay = Relay.create("idem-bad", Map.of());
        String tunnel = relay.open();
        lease(relay, tunnel, "x".repeat(256), Map.of()).then().statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED")).body("field", equalTo("Idempotency-Key"));
        lease(relay, tunnel, "clé", Map.of()).then().statusCode(400);
        lease(relay, tunnel, "x".repeat(255), Map.of()).then().statusCode(200);
    }
}
