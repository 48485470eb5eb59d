package dev.sluice.auth;

import static dev.sluice.Api.as;
import static dev.sluice.Api.uniqueSlug;
import static org.hamcrest.Matchers.equalTo;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** Without trusted-proxy settings a client cannot pick the address its guesses count against. */
@QuarkusTest
@TestProfile(TokenGuessingWithoutProxyTest.NoProxy.class)
class TokenGuessingWithoutProxyTest {

    static final int LIMIT = 5;

    public static class NoProxy implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("auth-failure-limit", Integer.toString(LIMIT));
        }
    }

    @Test
    void xForwardedForDoesNotChangeTheAddress() {
        String slug = uniqueSlug("spoof");
        for (int i = 0; i <= LIMIT; i++) {
            as(TokenFormat.generate(TokenFormat.Tier.API, slug)).header("X-Forwarded-For", "198.51.100." + i)
                    .get("/v1/usage").then().statusCode(401);
        }
        as(TokenFormat.generate(TokenFormat.Tier.API, slug)).header("X-Forwarded-For", "198.51.100.99")
                .get("/v1/usage").then().statusCode(429).body("code", equalTo("RATE_LIMITED"));
    }
}
