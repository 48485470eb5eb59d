package dev.sluice.auth;

import static dev.sluice.Api.as;
import static dev.sluice.Api.serviceToken;
import static dev.sluice.Api.uniqueSlug;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** {@code AUTH_FAILURE_LIMIT=0} turns the limit off: unknown tokens are only ever 401. */
@QuarkusTest
@TestProfile(TokenGuessingUnlimitedTest.Off.class)
class TokenGuessingUnlimitedTest {

    public static class Off implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("auth-failure-limit", "0");
        }
    }

    @Test
    void aZeroLimitNeverRefusesAnAddress() {
        String slug = uniqueSlug("unlimited");
        String service = serviceToken(slug);
        for (int i = 0; i < 30; i++) {
            as(TokenFormat.generate(TokenFormat.Tier.API, slug)).get("/v1/usage").then().statusCode(401);
        }
        as(Api.apiToken(slug, service)).get("/v1/usage").then().statusCode(200);
        as(TokenFormat.generate(TokenFormat.Tier.API, slug)).get("/v1/usage").then().statusCode(401);
    }
}
