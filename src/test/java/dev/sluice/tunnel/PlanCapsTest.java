package dev.sluice.tunnel;

import static dev.sluice.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class PlanCapsTest {

    static final String UPGRADE = "https://sluice.dev/pricing";

    @Test
    void eachPlanCapsOpenTunnelsWithTheContractsMessage() {
        assertCap("free", 1, "Free plan limited to 1 tunnel. Upgrade to Starter for 2 or Pro for 5.");
        assertCap("starter", 2, "Starter plan limited to 2 tunnels. Upgrade to Pro for 5.");
        assertCap("pro", 5, "Pro plan limited to 5 tunnels.");
    }

    private static void assertCap(String plan, int cap, String message) {
        Relay relay = Relay.create("cap-" + plan, Map.of("plan", plan, "dayLimit", 10_000));
        String first = null;
        for (int i = 0; i < cap; i++) {
            String id = relay.open();
            first = first == null ? id : first;
        }
        relay.register(Map.of()).then().statusCode(403)
                .body("code", equalTo("TUNNEL_LIMIT_REACHED"))
                .body("message", equalTo(message))
                .body("upgradeUrl", equalTo(UPGRADE));
        relay.close(first, 0).then().statusCode(200);
        relay.open();
    }

    @Test
    void concurrentMaxCapsBelowThePlan() {
        Relay relay = Relay.create("conc", Map.of("plan", "pro", "concurrentMax", 2, "dayLimit", 10_000));
        relay.open();
        relay.open();
        relay.register(Map.of()).then().statusCode(403).body("code", equalTo("TUNNEL_LIMIT_REACHED"))
                .body("message", equalTo("Account limited to 2 concurrent tunnels."));
    }

    @Test
    void reservedSubdomainsNeedPro() {
        Relay free = Relay.create("sub-free", Map.of("dayLimit", 10_000));
        free.register(Map.of("subdomain", "my-free-app")).then().statusCode(403)
                .body("code", equalTo("RESERVED_SUBDOMAIN_NOT_ALLOWED"))
                .body("message", equalTo("Reserved subdomains require a Pro plan. Upgrade to Pro for reserved subdomains."))
                .body("upgradeUrl", equalTo(UPGRADE));
        as(free.service()).body(Map.of("name", "my-free-app")).post("/v1/subdomains").then().statusCode(403)
                .body("code", equalTo("RESERVED_SUBDOMAIN_NOT_ALLOWED"));
    }

    @Test
    void aProSubdomainIsReservedAcrossAccountsAndOutlivesItsTunnel() {
        Relay pro = Relay.create("sub-pro", Map.of("plan", "pro", "dayLimit", 10_000));
        String name = "app-" + pro.slug();
        String tunnel = pro.register(Map.of("subdomain", name, "password", true)).then().statusCode(201)
                .body("subdomain", equalTo(name)).body("passwordProtected", equalTo(true))
                .body("url", equalTo("https://" + name + ".tunnel.localhost")).extract().path("id");
        pro.register(Map.of("subdomain", name)).then().statusCode(409).body("code", equalTo("SUBDOMAIN_TAKEN"));
        pro.close(tunnel, 0).then().statusCode(200);
        as(pro.service()).get("/v1/subdomains").then().statusCode(200)
                .body("subdomains", hasSize(1)).body("subdomains[0].name", equalTo(name))
                .body("subdomains[0].reservedAt", notNullValue());
        pro.register(Map.of("subdomain", name)).then().statusCode(201);

        Relay other = Relay.create("sub-other", Map.of("plan", "pro", "dayLimit", 10_000));
        other.register(Map.of("subdomain", name)).then().statusCode(409).body("code", equalTo("SUBDOMAIN_TAKEN"));
        as(other.service()).body(Map.of("name", name)).post("/v1/subdomains").then().statusCode(409);
        other.register(Map.of("subdomain", "Bad_Name")).then().statusCode(400).body("field", equalTo("subdomain"));
        other.register(Map.of("subdomain", "-dash")).then().statusCode(400);
    }

    @Test
    void reservedSubdomainsStopAtTheCap() {
        Relay pro = Relay.create("sub-cap", Map.of("plan", "pro", "dayLimit", 10_000));
        for (int i = 0; i < 10; i++) {
            as(pro.service()).body(Map.of("name", pro.slug() + "-r" + i)).post("/v1/subdomains").then().statusCode(201)
                    .body("name", equalTo(pro.slug() + "-r" + i)).body("reservedAt", notNullValue());
        }
        as(pro.service()).body(Map.of("name", pro.slug() + "-r10")).post("/v1/subdomains").then().statusCode(403)
                .body("code", equalTo("PLAN_LIMIT_REACHED"))
                .body("message", equalTo("Your pro plan allows 10 reserved subdomain(s). Upgrade for more."))
                .body("upgradeUrl", equalTo(UPGRADE));
        pro.register(Map.of("subdomain", pro.slug() + "-new")).then().statusCode(403)
                .body("code", equalTo("PLAN_LIMIT_REACHED"));
        as(pro.service()).delete("/v1/subdomains/" + pro.slug() + "-r0").then().statusCode(200);
        as(pro.service()).delete("/v1/subdomains/" + pro.slug() + "-r0").then().statusCode(404);
        pro.register(Map.of("subdomain", pro.slug() + "-new")).then().statusCode(201);
        as(pro.api()).get("/v1/subdomains").then().statusCode(403);
        as(pro.service()).body(Map.of()).post("/v1/subdomains").then().statusCode(400).body("field", equalTo("name"));
        as(pro.service()).body(Map.of("name", "Bad Name")).post("/v1/subdomains").then().statusCode(400)
                .body("field", equalTo("name"));
        as(pro.service()).delete("/v1/subdomains/Bad_Name").then().statusCode(400);
    }

    @Test
    void workersFollowThePlan() {
        Relay free = Relay.create("wk-free", Map.of());
        as(free.service()).body(Map.of("name", "resizer")).post("/v1/workers").then().statusCode(403)
                .body("code", equalTo("PLAN_LIMIT_REACHED"))
                .body("message", equalTo("Your free plan allows 0 worker(s). Upgrade for more."));
        Relay pro = Relay.create("wk-pro", Map.of("plan", "pro"));
        String id = as(pro.service()).body(Map.of("name", "resizer")).post("/v1/workers").then().statusCode(201)
                .body("name", equalTo("resizer")).body("status", equalTo("active"))
                .body("createdAt", notNullValue()).body("quarantinedAt", equalTo(null)).extract().path("id");
        as(pro.service()).body(Map.of("name", "second")).post("/v1/workers").then().statusCode(403)
                .body("message", equalTo("Your pro plan allows 1 worker(s). Upgrade for more."));
        as(pro.service()).get("/v1/workers").then().body("workers", hasSize(1)).body("workers[0].id", equalTo(id));
        as(pro.api()).get("/v1/workers").then().statusCode(403);
        as(pro.service()).body(Map.of("name", "BAD NAME")).post("/v1/workers").then().statusCode(400);
        as(pro.service()).delete("/v1/workers/" + id).then().statusCode(200).body("ok", equalTo(true));
        as(pro.service()).delete("/v1/workers/" + id).then().statusCode(404);
        as(pro.service()).delete("/v1/workers/nope").then().statusCode(404);
        as(Api.ROOT).get("/v1/workers").then().statusCode(403);
        Api.asRoot().post("/admin/accounts/" + pro.slug() + "/suspend").then().statusCode(200);
        as(pro.service()).body(Map.of("name", "later")).post("/v1/workers").then().statusCode(403)
                .body("code", equalTo("ACCOUNT_SUSPENDED"));
        as(pro.service()).body(Map.of("name", pro.slug() + "-late")).post("/v1/subdomains").then().statusCode(403)
                .body("code", equalTo("ACCOUNT_SUSPENDED"));
    }
}
