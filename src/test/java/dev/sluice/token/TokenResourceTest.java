package dev.sluice.token;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static dev.sluice.Api.serviceToken;
import static dev.sluice.Api.uniqueSlug;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sluice.auth.TokenFormat;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

@QuarkusTest
class TokenResourceTest {

    @Test
    void aServiceTokenMintsApiTokensShownExactlyOnce() {
        String slug = uniqueSlug("mint");
        String service = serviceToken(slug);
        Instant expiry = Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
        Response minted = as(service).body(Map.of("kind", "api", "name", "edge-1", "expiresAt", expiry.toString()))
                .post("/admin/accounts/" + slug + "/tokens");
        minted.then().statusCode(201)
                .body("id", notNullValue())
                .body("kind", equalTo("api"))
                .body("name", equalTo("edge-1"))
                .body("token", startsWith("vta_" + slug + "_"))
                .body("createdAt", notNullValue())
                .body("expiresAt", equalTo(expiry.toString()));
        String token = minted.path("token");
        assertEquals(token.substring(token.length() - 4), minted.path("last4"));
        assertEquals(TokenFormat.Tier.API, TokenFormat.parse(token).tier());

        as(service).get("/admin/accounts/" + slug + "/tokens").then().statusCode(200)
                .body("tokens", hasSize(2))
                .body("tokens[1].name", equalTo("edge-1"))
                .body("tokens[1].last4", equalTo(token.substring(token.length() - 4)))
                .body("tokens[1].revokedAt", nullValue())
                .body(not(containsString(token)))
                .body(not(containsString(TokenFormat.sha256(token))))
                .body(not(containsString("\"token\"")));
        // kind defaults to api; an empty body is allowed
        as(service).body(Map.of()).post("/admin/accounts/" + slug + "/tokens").then().statusCode(201)
                .body("kind", equalTo("api"));
    }

    @Test
    void onlyRootMintsRevokesOrRollsServiceTokens() {
        String slug = uniqueSlug("svc");
        String service = serviceToken(slug);
        as(service).body(Map.of("kind", "service")).post("/admin/accounts/" + slug + "/tokens").then()
                .statusCode(403).body("code", equalTo("FORBIDDEN"));
        Response second = asRoot().body(Map.of("kind", "service", "name", "ops"))
                .post("/admin/accounts/" + slug + "/tokens");
        second.then().statusCode(201).body("token", startsWith("vts_" + slug + "_"));
        String secondId = second.path("id");
        as(service).delete("/admin/accounts/" + slug + "/tokens/" + secondId).then().statusCode(403);
        as(service).body(Map.of()).post("/admin/accounts/" + slug + "/tokens/" + secondId + "/roll").then()
                .statusCode(403);
        asRoot().delete("/admin/accounts/" + slug + "/tokens/" + secondId).then().statusCode(200)
                .body("ok", equalTo(true)).body("id", equalTo(secondId));
        as((String) second.path("token")).get("/admin/accounts/" + slug).then().statusCode(401);
    }

    @Test
    void revocationIsImmediateAndIdempotent() {
        String slug = uniqueSlug("revoke");
        String service = serviceToken(slug);
        Response minted = as(service).body(Map.of("kind", "api")).post("/admin/accounts/" + slug + "/tokens");
        String id = minted.path("id");
        String api = minted.path("token");
        as(api).get("/admin/accounts/" + slug).then().statusCode(403); // authenticated, wrong tier
        as(service).delete("/admin/accounts/" + slug + "/tokens/" + id).then().statusCode(200)
                .body("ok", equalTo(true)).body("id", equalTo(id));
        as(api).get("/admin/accounts/" + slug).then().statusCode(401).body("code", equalTo("UNAUTHORIZED"));
        as(service).delete("/admin/accounts/" + slug + "/tokens/" + id).then().statusCode(200);
        as(service).get("/admin/accounts/" + slug + "/tokens").then()
                .body("tokens.find { it.id == '" + id + "' }.revokedAt", notNullValue());
        as(service).delete("/admin/accounts/" + slug + "/tokens/00000000-0000-0000-0000-000000000000").then()
                .statusCode(404).body("code", equalTo("NOT_FOUND"));
        as(service).delete("/admin/accounts/" + slug + "/tokens/not-a-uuid").then().statusCode(404);
    }

    @Test
    void aTokenOfAnotherAccountIsNotFoundThroughThisOne() {
        String a = uniqueSlug("tok-a");
        String b = uniqueSlug("tok-b");
        serviceToken(a);
        String serviceB = serviceToken(b);
        String idOfB = as(serviceB).body(Map.of()).post("/admin/accounts/" + b + "/tokens").path("id");
        asRoot().delete("/admin/accounts/" + a + "/tokens/" + idOfB).then().statusCode(404);
    }

    @Test
    void rollingWithoutOverlapKillsTheOldTokenAtOnce() {
        String slug = uniqueSlug("roll");
        String service = serviceToken(slug);
        Response old = as(service).body(Map.of("name", "relay")).post("/admin/accounts/" + slug + "/tokens");
        Response rolled = as(service).body(Map.of())
                .post("/admin/accounts/" + slug + "/tokens/" + old.path("id") + "/roll");
        rolled.then().statusCode(201)
                .body("kind", equalTo("api"))
                .body("name", equalTo("relay"))
                .body("token", startsWith("vta_" + slug + "_"));
        assertNotEquals((String) old.path("token"), (String) rolled.path("token"));
        as((String) old.path("token")).get("/admin/accounts/" + slug).then().statusCode(401);
        as((String) rolled.path("token")).get("/admin/accounts/" + slug).then().statusCode(403);
        // a dead token cannot be rolled again
        as(service).body(Map.of()).post("/admin/accounts/" + slug + "/tokens/" + old.path("id") + "/roll").then()
                .statusCode(404);
    }

    @Test
    void rollingWithOverlapKeepsBothAliveUntilTheOverlapEnds() throws InterruptedException {
        String slug = uniqueSlug("overlap");
        String service = serviceToken(slug);
        String serviceId = asRoot().get("/admin/accounts/" + slug + "/tokens").path("tokens[0].id");
        Response rolled = asRoot().body(Map.of("overlapSeconds", 1))
                .post("/admin/accounts/" + slug + "/tokens/" + serviceId + "/roll");
        rolled.then().statusCode(201).body("kind", equalTo("service")).body("name", equalTo("default"));
        String successor = rolled.path("token");
        as(service).get("/admin/accounts/" + slug).then().statusCode(200);
        as(successor).get("/admin/accounts/" + slug).then().statusCode(200);
        Thread.sleep(1500);
        as(service).get("/admin/accounts/" + slug).then().statusCode(401);
        as(successor).get("/admin/accounts/" + slug).then().statusCode(200);
    }

    @Test
    void rollAndMintRejectBadInput() {
        String slug = uniqueSlug("roll-bad");
        String service = serviceToken(slug);
        String id = as(service).body(Map.of()).post("/admin/accounts/" + slug + "/tokens").path("id");
        for (Object overlap : new Object[] { -1, 86401, "10", 1.5 }) {
            as(service).body(Map.of("overlapSeconds", overlap))
                    .post("/admin/accounts/" + slug + "/tokens/" + id + "/roll").then()
                    .statusCode(400).body("field", equalTo("overlapSeconds"));
        }
        as(service).body(Map.of("kind", "root")).post("/admin/accounts/" + slug + "/tokens").then().statusCode(400)
                .body("field", equalTo("kind"));
        as(service).body(Map.of("expiresAt", "2020-01-01T00:00:00Z")).post("/admin/accounts/" + slug + "/tokens")
                .then().statusCode(400).body("field", equalTo("expiresAt"));
        as(service).body(Map.of("expiresAt", "tomorrow")).post("/admin/accounts/" + slug + "/tokens").then()
                .statusCode(400).body("field", equalTo("expiresAt"));
        as(service).body(Map.of("expiresAt", "+300000-01-01T00:00:00Z")).post("/admin/accounts/" + slug + "/tokens")
                .then().statusCode(400).body("field", equalTo("expiresAt"));
        as(service).body(Map.of("name", "x".repeat(101))).post("/admin/accounts/" + slug + "/tokens").then()
                .statusCode(400).body("field", equalTo("name"));
    }

    @Test
    void anExpiredTokenIs401AndLastUsedAtIsRecorded() throws InterruptedException {
        String slug = uniqueSlug("expiry");
        String service = serviceToken(slug);
        Instant soon = Instant.now().plusSeconds(1);
        String shortLived = asRoot().body(Map.of("kind", "service", "expiresAt", soon.toString()))
                .post("/admin/accounts/" + slug + "/tokens").path("token");
        as(shortLived).get("/admin/accounts/" + slug).then().statusCode(200);
        Thread.sleep(Math.max(0, soon.toEpochMilli() - System.currentTimeMillis()) + 200);
        as(shortLived).get("/admin/accounts/" + slug).then().statusCode(401);
        as(service).get("/admin/accounts/" + slug + "/tokens").then()
                .body("tokens[1].lastUsedAt", notNullValue());
        // Kept to the minute: using a token again right away writes nothing.
        String before = as(service).get("/admin/accounts/" + slug + "/tokens").path("tokens[0].lastUsedAt");
        Thread.sleep(600);
        as(service).get("/admin/accounts/" + slug).then().statusCode(200);
        assertEquals(before, as(service).get("/admin/accounts/" + slug + "/tokens").path("tokens[0].lastUsedAt"));
    }
}
