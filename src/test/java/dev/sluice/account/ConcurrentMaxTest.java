package dev.sluice.account;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static org.hamcrest.Matchers.equalTo;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import io.quarkus.test.junit.QuarkusTest;

/** The bounds on leaseChunk and concurrentMax, and what lowering concurrentMax does to open tunnels. */
@QuarkusTest
class ConcurrentMaxTest {

    @Test
    void leaseChunkAndConcurrentMaxOutsideTheirBoundsAreRefused() {
        String slug = Api.uniqueSlug("bounds");
        asRoot().body(Map.of("slug", slug, "leaseChunk", 1_000_001)).post("/admin/accounts").then().statusCode(400)
                .body("field", equalTo("leaseChunk"));
        asRoot().body(Map.of("slug", slug, "concurrentMax", 10_001)).post("/admin/accounts").then().statusCode(400)
                .body("field", equalTo("concurrentMax"));
        Api.createAccount(slug, Map.of("leaseChunk", 1_000_000, "concurrentMax", 10_000));
        for (Map<String, Object> bad : List.<Map<String, Object>>of(Map.of("leaseChunk", 0), Map.of("leaseChunk", 1_000_001),
                Map.of("concurrentMax", 0), Map.of("concurrentMax", 10_001))) {
            asRoot().body(bad).patch("/admin/accounts/" + slug + "/limits").then().statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED"));
        }
    }

    @Test
    void loweringConcurrentMaxClosesTheOldestExcessTunnels() {
        String slug = Api.uniqueSlug("lower-max");
        String service = Api.createAccount(slug, Map.of("plan", "pro", "dayLimit", 10_000)).path("serviceToken");
        String api = Api.apiToken(slug, service);
        List<String> opened = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            opened.add(as(api).body(Map.of()).post("/v1/tunnels").then().statusCode(201).extract().path("id"));
        }
        asRoot().body(Map.of("concurrentMax", 1)).patch("/admin/accounts/" + slug + "/limits").then().statusCode(200)
                .body("account.concurrentMax", equalTo(1));
        as(service).get("/v1/tunnels").then().body("tunnels.size()", equalTo(1))
                .body("tunnels[0].id", equalTo(opened.get(2)));
        for (String closed : opened.subList(0, 2)) {
            as(api).body(Map.of()).post("/v1/tunnels/" + closed + "/lease").then().statusCode(410)
                    .body("reason", equalTo("plan_downgrade"));
        }
        as(api).body(Map.of()).post("/v1/tunnels").then().statusCode(403).body("code", equalTo("TUNNEL_LIMIT_REACHED"));
    }
}
