package dev.sluice.auth;

import static dev.sluice.Api.as;
import static dev.sluice.Api.serviceToken;
import static dev.sluice.Api.uniqueSlug;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/**
 * Contract §2, guessing costs the guesser: an unknown token is remembered for a second, and an address past
 * {@code AUTH_FAILURE_LIMIT} unknown tokens a minute gets 429 for any token that did not authenticate from it in the
 * last hour. Behind a trusted proxy (this test's profile trusts 127.0.0.1), so {@code X-Forwarded-For} names the client.
 */
@QuarkusTest
@TestProfile(TokenGuessingTest.BehindTrustedProxy.class)
class TokenGuessingTest {

    static final int LIMIT = 5;

    public static class BehindTrustedProxy implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("auth-failure-limit", Integer.toString(LIMIT),
                    "quarkus.http.proxy.proxy-address-forwarding", "true",
                    "quarkus.http.proxy.allow-x-forwarded", "true",
                    "quarkus.http.proxy.trusted-proxies", "127.0.0.1");
        }
    }

    @Inject
    AgroalDataSource db;

    @Test
    void anUnknownTokenIsRememberedForASecondThenLookedUpAgain() throws Exception {
        String slug = uniqueSlug("guess");
        String service = serviceToken(slug);
        UUID tokenId = UUID.fromString(as(service).body(Map.of("kind", "api"))
                .post("/admin/accounts/" + slug + "/tokens").then().statusCode(201).extract().path("id"));
        // The token row is given the guess's hash after the guess was refused: only a lookup would find it. Each
        // attempt presents the guess twice within its second, unless the machine is too slow to, then tries again.
        for (int attempt = 1; attempt <= 10; attempt++) {
            String guess = TokenFormat.generate(TokenFormat.Tier.API, slug);
            String client = "198.51.100." + attempt;
            long sent = System.nanoTime();
            from(client, guess).get("/v1/usage").then().statusCode(401).body("code", equalTo("UNAUTHORIZED"));
            long refused = System.nanoTime();
            setHash(tokenId, TokenFormat.sha256(guess));
            int again = from(client, guess).get("/v1/usage").statusCode();
            if (System.nanoTime() - sent >= Duration.ofSeconds(1).toNanos()) {
                continue;
            }
            assertEquals(401, again, "presented again within the second, the guess costs no lookup");
            Thread.sleep(Math.max(0, Duration.ofMillis(1_050).toMillis()
                    - Duration.ofNanos(System.nanoTime() - refused).toMillis()));
            from(client, guess).get("/v1/usage").then().statusCode(200);
            return;
        }
        fail("no attempt presented a guess twice within one second");
    }

    @Test
    void pastTheLimitOnlyTokensThatAuthenticatedFromTheAddressPass() {
        String slug = uniqueSlug("relay");
        String service = serviceToken(slug);
        String tenant = Api.apiToken(slug, service);
        String newcomer = Api.apiToken(slug, service);
        String relay = "203.0.113.20";
        from(relay, tenant).get("/v1/usage").then().statusCode(200);

        for (int i = 0; i <= LIMIT; i++) {
            from(relay, TokenFormat.generate(TokenFormat.Tier.API, slug)).get("/v1/usage").then().statusCode(401);
        }
        String guess = TokenFormat.generate(TokenFormat.Tier.API, slug);
        Response limited = from(relay, guess).get("/v1/usage");
        limited.then().statusCode(429).body("code", equalTo("RATE_LIMITED")).body("message", notNullValue());
        long retryAfter = Long.parseLong(limited.header("Retry-After"));
        assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
        // A valid token that never authenticated from the relay waits too; so does the owner's service token,
        // which authenticated from another address.
        from(relay, newcomer).get("/v1/usage").then().statusCode(429).body("code", equalTo("RATE_LIMITED"));
        from(relay, service).get("/v1/tunnels").then().statusCode(429);
        // The tenant that authenticated from the relay passes, reports included.
        from(relay, tenant).get("/v1/usage").then().statusCode(200);
        String tunnel = from(relay, tenant).body(Map.of()).post("/v1/tunnels").then().statusCode(201).extract()
                .path("id");
        from(relay, tenant).body(Map.of("consumed", 0)).post("/v1/tunnels/" + tunnel + "/lease").then()
                .statusCode(200);

        // Another address is not limited.
        from("203.0.113.21", newcomer).get("/v1/usage").then().statusCode(200);
        from("203.0.113.21", guess).get("/v1/usage").then().statusCode(401);
    }

    @Test
    void anIpv6ClientIsCountedByItsSlash64() {
        String slug = uniqueSlug("six");
        for (int host = 1; host <= LIMIT + 1; host++) {
            from("2001:db8:7:1::" + host, TokenFormat.generate(TokenFormat.Tier.SERVICE, slug)).get("/v1/usage")
                    .then().statusCode(401);
        }
        String guess = TokenFormat.generate(TokenFormat.Tier.SERVICE, slug);
        from("2001:db8:7:1:ffff:ffff:ffff:ffff", guess).get("/v1/usage").then().statusCode(429);
        from("2001:db8:7:2::1", guess).get("/v1/usage").then().statusCode(401);
    }

    private static RequestSpecification from(String client, String token) {
        return as(token).header("X-Forwarded-For", client);
    }

    private void setHash(UUID tokenId, String hash) throws Exception {
        try (Connection c = db.getConnection();
                PreparedStatement update = c.prepareStatement("update api_token set token_hash = ? where token_id = ?")) {
            update.setString(1, hash);
            update.setObject(2, tokenId);
            assertEquals(1, update.executeUpdate());
        }
    }
}
