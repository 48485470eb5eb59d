package dev.sluice.account;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** The internal account, under a name no other test touches, so its first use is really the first. */
@QuarkusTest
@TestProfile(InternalAccountTest.OwnInternalAccount.class)
class InternalAccountTest {

    public static class OwnInternalAccount implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("internal-account", "relay-internal", "internal-day-limit", "12",
                    "internal-month-limit", "120", "internal-concurrent", "7");
        }
    }

    @Test
    void itProvisionsItselfOnFirstUseOfTheTunnelSecretReservingItsAllocation() {
        asRoot().get("/admin/accounts/relay-internal").then().statusCode(404);
        long dayBefore = allocated("day");
        long monthBefore = allocated("month");

        as(Api.TUNNEL_SECRET).body(Map.of()).post("/v1/tunnels").then().statusCode(201)
                .body("account.slug", equalTo("relay-internal"));
        asRoot().get("/admin/accounts/relay-internal").then().statusCode(200)
                .body("dayLimit", equalTo(12_000_000)).body("monthLimit", equalTo(120_000_000))
                .body("concurrentMax", equalTo(7)).body("plan", equalTo("pro"));
        assertEquals(dayBefore + 12_000_000, allocated("day"));
        assertEquals(monthBefore + 120_000_000, allocated("month"));

        // Only once: a second use finds it.
        as(Api.TUNNEL_SECRET).body(Map.of()).post("/v1/tunnels").then().statusCode(201);
        assertEquals(dayBefore + 12_000_000, allocated("day"));
        as(Api.TUNNEL_SECRET).get("/admin/accounts/relay-internal").then().statusCode(403);
        asRoot().queryParam("account", "relay-internal").get("/admin/audit").then()
                .body("entries.action", hasItem("account.create"))
                .body("entries.actor.tokenId", hasItem("bootstrap"));
    }

    private static long allocated(String window) {
        return ((Number) asRoot().get("/admin/accounts").path("global.allocated." + window)).longValue();
    }
}
