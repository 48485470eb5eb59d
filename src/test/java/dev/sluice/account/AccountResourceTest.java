package dev.sluice.account;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static dev.sluice.Api.createAccount;
import static dev.sluice.Api.serviceToken;
import static dev.sluice.Api.uniqueSlug;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

@QuarkusTest
class AccountResourceTest {

    @Test
    void createAppliesSignupDefaultsAndReturnsTheServiceTokenOnce() {
        String slug = uniqueSlug("defaults");
        Response created = createAccount(slug, Map.of("name", "Acme", "email", "ops@acme.test"));
        created.then()
                .body("account.slug", equalTo(slug))
                .body("account.name", equalTo("Acme"))
                .body("account.email", equalTo("ops@acme.test"))
                .body("account.status", equalTo("active"))
                .body("account.suspendedBy", nullValue())
                .body("account.plan", equalTo("free"))
                .body("account.dayLimit", equalTo(1_000_000))
                .body("account.monthLimit", equalTo(10_000_000))
                .body("account.usd.dayLimit", equalTo(1))
                .body("account.usd.monthLimit", equalTo(10))
                .body("account.concurrentMax", equalTo(100))
                .body("account.leaseChunk", equalTo(50))
                .body("account.createdAt", notNullValue())
                .body("serviceToken", startsWith("vts_" + slug + "_"))
                .body("tokenId", notNullValue());
        String token = created.path("serviceToken");
        as(token).get("/admin/accounts/" + slug).then().statusCode(200)
                .body("slug", equalTo(slug))
                .body(not(containsString(token)));
    }

    @Test
    void limitsInDollarsBecomeExactCredits() {
        String slug = uniqueSlug("usd");
        createAccount(slug, Map.of("dayUsd", 0.0123456, "monthUsd", 2.5, "plan", "pro", "concurrentMax", 7,
                "leaseChunk", 25))
                .then()
                .body("account.dayLimit", equalTo(12346))
                .body("account.monthLimit", equalTo(2_500_000))
                .body("account.usd.dayLimit", equalTo(0.012346f))
                .body("account.plan", equalTo("pro"))
                .body("account.concurrentMax", equalTo(7))
                .body("account.leaseChunk", equalTo(25));
        createAccount(uniqueSlug("credits"), Map.of("dayLimit", 777, "monthLimit", 888)).then()
                .body("account.dayLimit", equalTo(777))
                .body("account.monthLimit", equalTo(888));
    }

    @Test
    void aTakenSlugIs409() {
        String slug = uniqueSlug("taken");
        serviceToken(slug);
        asRoot().body(Map.of("slug", slug)).post("/admin/accounts").then().statusCode(409)
                .body("code", equalTo("ACCOUNT_EXISTS"));
    }

    @Test
    void badBodiesAre400WithTheCulpritField() {
        String slug = uniqueSlug("bad");
        Object[][] cases = {
                { "{\"slug\":\"UPPER\"}", "slug" },
                { "{\"slug\":\"a_b\"}", "slug" },
                { "{\"slug\":\"x\"}", "slug" },
                { "{}", "slug" },
                { "{\"slug\":123}", "slug" },
                { "{\"slug\":\"" + slug + "\",\"bogus\":1}", "bogus" },
                { "{\"slug\":\"" + slug + "\",\"dayLimit\":\"5\"}", "dayLimit" },
                { "{\"slug\":\"" + slug + "\",\"dayLimit\":1.5}", "dayLimit" },
                { "{\"slug\":\"" + slug + "\",\"dayLimit\":-1}", "dayLimit" },
                { "{\"slug\":\"" + slug + "\",\"dayLimit\":99999999999999999999999}", "dayLimit" },
                { "{\"slug\":\"" + slug + "\",\"dayUsd\":-0.5}", "dayUsd" },
                { "{\"slug\":\"" + slug + "\",\"dayUsd\":1e30}", "dayUsd" },
                { "{\"slug\":\"" + slug + "\",\"dayUsd\":1,\"dayLimit\":5}", "dayUsd" },
                { "{\"slug\":\"" + slug + "\",\"monthUsd\":1,\"monthLimit\":5}", "monthUsd" },
                { "{\"slug\":\"" + slug + "\",\"plan\":\"gold\"}", "plan" },
                { "{\"slug\":\"" + slug + "\",\"plan\":1}", "plan" },
                { "{\"slug\":\"" + slug + "\",\"concurrentMax\":0}", "concurrentMax" },
                { "{\"slug\":\"" + slug + "\",\"leaseChunk\":0}", "leaseChunk" },
                { "{\"slug\":\"" + slug + "\",\"name\":true}", "name" },
                { "{\"slug\":\"" + slug + "\",\"email\":\"not-an-email\"}", "email" },
                { "{\"slug\":\"" + slug + "\",\"name\":\"nul\\u0000here\"}", "name" },
                { "{\"slug\":\"" + slug + "\",\"dayUsd\":1e999999999}", "dayUsd" },
                { "{\"slug\":\"" + slug + "\",\"dayUsd\":1e-999999999}", "dayUsd" },
        };
        for (Object[] c : cases) {
            asRoot().body(c[0]).post("/admin/accounts").then()
                    .statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED"))
                    .body("field", equalTo(c[1]))
                    .body(not(containsString("Exception")))
                    .body(not(containsString("java.")));
        }
        for (String malformed : new String[] { "{\"slug\":", "[1]", "{\"slug\":\"" + slug + "\"} trailing", "",
                "null" }) {
            asRoot().body(malformed).post("/admin/accounts").then()
                    .statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED"))
                    .body(not(containsString("Exception")));
        }
        as(dev.sluice.Api.ROOT).contentType("text/plain").body("x").post("/admin/accounts").then()
                .statusCode(415).body("code", equalTo("VALIDATION_FAILED"));
        asRoot().get("/admin/accounts/" + slug).then().statusCode(404).body("code", equalTo("NOT_FOUND"));
    }

    @Test
    void bodiesOver64KiBAre413() {
        String huge = "{\"slug\":\"big\",\"name\":\"" + "x".repeat(70_000) + "\"}";
        asRoot().body(huge).post("/admin/accounts").then().statusCode(413)
                .body("code", equalTo("PAYLOAD_TOO_LARGE"));
        String enormous = "{\"slug\":\"big\",\"name\":\"" + "x".repeat(3_000_000) + "\"}";
        asRoot().body(enormous).post("/admin/accounts").then().statusCode(413)
                .body("code", equalTo("PAYLOAD_TOO_LARGE"));
    }

    @Test
    void listPagesWithACursorAndReportsTheGlobalAllocation() {
        for (int i = 0; i < 3; i++) {
            serviceToken(uniqueSlug("page"));
        }
        Set<String> seen = new HashSet<>();
        List<String> order = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            var request = asRoot().queryParam("limit", 2);
            if (cursor != null) {
                request.queryParam("cursor", cursor);
            }
            Response page = request.get("/admin/accounts").then().statusCode(200)
                    .body("global.day", equalTo(1_000_000_000))
                    .body("global.month", equalTo(10_000_000_000L))
                    .body("global.usd.day", equalTo(1000))
                    .body("global.usd.month", equalTo(10000))
                    .body("global.allocated.day", notNullValue())
                    .body("global.usd.allocated.day", notNullValue())
                    .extract().response();
            List<String> slugs = page.path("accounts.slug");
            assertTrue(slugs.size() <= 2);
            order.addAll(slugs);
            seen.addAll(slugs);
            cursor = page.path("nextCursor");
            pages++;
        } while (cursor != null && pages < 10_000);
        assertEquals(order.size(), seen.size(), "no account appears on two pages");
        assertTrue(seen.size() >= 3);
        long allocated = ((Number) asRoot().get("/admin/accounts").path("global.allocated.day")).longValue();
        long sum = ((Number) asRoot().queryParam("limit", 500).get("/admin/accounts")
                .path("accounts.dayLimit.sum()")).longValue();
        assertEquals(sum, allocated, "the allocation is the sum of all day limits");

        asRoot().queryParam("limit", 0).get("/admin/accounts").then().statusCode(400).body("field", equalTo("limit"));
        asRoot().queryParam("limit", "ten").get("/admin/accounts").then().statusCode(400)
                .body("field", equalTo("limit"));
        asRoot().queryParam("cursor", "!!!").get("/admin/accounts").then().statusCode(400)
                .body("field", equalTo("cursor"));
    }

    @Test
    void patchChangesContactFieldsOnlyForRoot() {
        String slug = uniqueSlug("patch");
        String service = serviceToken(slug);
        asRoot().body(Map.of("name", "New Name", "email", "billing@x.test", "stripeCustomerId", "cus_" + slug))
                .patch("/admin/accounts/" + slug).then().statusCode(200)
                .body("name", equalTo("New Name"))
                .body("email", equalTo("billing@x.test"))
                .body("stripeCustomerId", equalTo("cus_" + slug));
        as(service).body(Map.of("name", "Mine")).patch("/admin/accounts/" + slug).then().statusCode(403)
                .body("code", equalTo("FORBIDDEN"));
        String other = uniqueSlug("patch-other");
        serviceToken(other);
        asRoot().body(Map.of("stripeCustomerId", "cus_" + slug)).patch("/admin/accounts/" + other).then()
                .statusCode(409).body("field", equalTo("stripeCustomerId"));
        asRoot().body(Map.of("plan", "pro")).patch("/admin/accounts/" + slug).then().statusCode(400)
                .body("field", equalTo("plan"));
        asRoot().body(Map.of("name", "x")).patch("/admin/accounts/no-such-account").then().statusCode(404);
    }

    @Test
    void limitsChangeInEitherUnitAndOnlyRootMayRaiseThem() {
        String slug = uniqueSlug("limits");
        String service = serviceToken(slug);
        asRoot().body(Map.of("dayUsd", 2, "monthLimit", 30_000_000, "concurrentMax", 3, "leaseChunk", 10))
                .patch("/admin/accounts/" + slug + "/limits").then().statusCode(200)
                .body("ok", equalTo(true))
                .body("account.dayLimit", equalTo(2_000_000))
                .body("account.monthLimit", equalTo(30_000_000))
                .body("account.usd.monthLimit", equalTo(30))
                .body("account.concurrentMax", equalTo(3))
                .body("account.leaseChunk", equalTo(10));
        as(service).body(Map.of("dayUsd", 100)).patch("/admin/accounts/" + slug + "/limits").then()
                .statusCode(403).body("code", equalTo("FORBIDDEN"));
        asRoot().body(Map.of("dayUsd", 1, "dayLimit", 3)).patch("/admin/accounts/" + slug + "/limits").then()
                .statusCode(400).body("field", equalTo("dayUsd"));
        asRoot().body(Map.of("leaseChunk", -3)).patch("/admin/accounts/" + slug + "/limits").then()
                .statusCode(400).body("field", equalTo("leaseChunk"));
        asRoot().body(Map.of("dayLimit", 1)).patch("/admin/accounts/nobody-here/limits").then().statusCode(404);
    }

    @Test
    void aRaiseOverTheCeilingIs409WithTheNumbers() {
        String slug = uniqueSlug("ceiling");
        serviceToken(slug);
        Response refused = asRoot().body(Map.of("dayUsd", 5000)).patch("/admin/accounts/" + slug + "/limits");
        refused.then().statusCode(409)
                .body("code", equalTo("GLOBAL_CEILING_EXCEEDED"))
                .body("window", equalTo("day"))
                .body("ceiling", equalTo(1_000_000_000))
                .body("allocated", notNullValue())
                .body("requested", equalTo(4_999_000_000L));
        asRoot().get("/admin/accounts/" + slug).then().body("dayLimit", equalTo(1_000_000));
        asRoot().body(Map.of("slug", uniqueSlug("ceiling-month"), "monthUsd", 20000)).post("/admin/accounts").then()
                .statusCode(409).body("window", equalTo("month"));
    }

    @Test
    void suspensionByRootCanOnlyBeLiftedByRoot() {
        String slug = uniqueSlug("suspend");
        String service = serviceToken(slug);
        as(service).post("/admin/accounts/" + slug + "/suspend").then().statusCode(200)
                .body("ok", equalTo(true)).body("slug", equalTo(slug)).body("status", equalTo("suspended"));
        asRoot().get("/admin/accounts/" + slug).then().body("suspendedBy", equalTo("service"));
        as(service).post("/admin/accounts/" + slug + "/resume").then().statusCode(200)
                .body("status", equalTo("active"));

        asRoot().post("/admin/accounts/" + slug + "/suspend").then().statusCode(200);
        as(service).post("/admin/accounts/" + slug + "/suspend").then().statusCode(200);
        asRoot().get("/admin/accounts/" + slug).then().body("suspendedBy", equalTo("root"));
        as(service).post("/admin/accounts/" + slug + "/resume").then().statusCode(403)
                .body("code", equalTo("FORBIDDEN"));
        asRoot().get("/admin/accounts/" + slug).then().body("status", equalTo("suspended"));
        asRoot().post("/admin/accounts/" + slug + "/resume").then().statusCode(200).body("status", equalTo("active"));
        asRoot().post("/admin/accounts/nobody-at-all/suspend").then().statusCode(404);
    }

    @Test
    void aServiceTokenCannotTouchAnotherAccountWhetherOrNotItExists() {
        String mine = uniqueSlug("mine");
        String theirs = uniqueSlug("theirs");
        String service = serviceToken(mine);
        serviceToken(theirs);
        for (String slug : new String[] { theirs, "does-not-exist", "BAD_SLUG" }) {
            as(service).get("/admin/accounts/" + slug).then().statusCode(403).body("code", equalTo("FORBIDDEN"));
            as(service).post("/admin/accounts/" + slug + "/suspend").then().statusCode(403);
            as(service).get("/admin/accounts/" + slug + "/tokens").then().statusCode(403);
            as(service).body(Map.of()).post("/admin/accounts/" + slug + "/tokens").then().statusCode(403);
        }
        as(service).get("/admin/accounts").then().statusCode(403);
        as(service).body(Map.of("slug", uniqueSlug("nope"))).post("/admin/accounts").then().statusCode(403);
        String api = dev.sluice.Api.apiToken(mine, service);
        as(api).get("/admin/accounts/" + mine).then().statusCode(403).body("code", equalTo("FORBIDDEN"));
        as(api).get("/admin/accounts/" + mine + "/tokens").then().statusCode(403);
        asRoot().get("/admin/accounts/BAD_SLUG").then().statusCode(400).body("field", equalTo("slug"));
    }

    @Test
    void missingMalformedAndUnknownTokensAre401WithTheBearerChallenge() {
        String slug = uniqueSlug("auth");
        String service = serviceToken(slug);
        String tamperedChecksum = service.substring(0, service.length() - 1)
                + (service.endsWith("0") ? "1" : "0");
        String tamperedSecret = service.substring(0, service.length() - 10) + "A" + service.substring(service.length() - 9);
        String otherRoot = dev.sluice.auth.TokenFormat.generate(dev.sluice.auth.TokenFormat.Tier.ROOT, null);
        String unknown = dev.sluice.auth.TokenFormat.generate(dev.sluice.auth.TokenFormat.Tier.SERVICE, slug);
        for (String header : new String[] { null, "", "Bearer", "Basic abc", "Bearer " + tamperedChecksum,
                "Bearer " + tamperedSecret, "Bearer " + otherRoot, "Bearer " + unknown, "Bearer vtr_short" }) {
            var request = given();
            if (header != null) {
                request.header("Authorization", header);
            }
            request.get("/admin/accounts/" + slug).then().statusCode(401)
                    .header("WWW-Authenticate", "Bearer")
                    .body("code", equalTo("UNAUTHORIZED"));
        }
        // 401 comes before any look at the body.
        given().header("Authorization", "Bearer " + unknown).contentType("application/json").body("{garbage")
                .post("/admin/accounts").then().statusCode(401);
    }
}
