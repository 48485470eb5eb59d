package dev.sluice.audit;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static dev.sluice.Api.serviceToken;
import static dev.sluice.Api.uniqueSlug;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

@QuarkusTest
class AuditLogTest {

    @Test
    void everyMutationIsOnRecordWithActorOutcomeAndRequestId() {
        String slug = uniqueSlug("audited");
        String service = serviceToken(slug);
        asRoot().header("X-Request-Id", "raise-" + slug).body(Map.of("dayUsd", 2))
                .patch("/admin/accounts/" + slug + "/limits").then().statusCode(200)
                .header("X-Request-Id", "raise-" + slug);
        String tokenId = as(service).body(Map.of("name", "edge")).post("/admin/accounts/" + slug + "/tokens")
                .path("id");
        as(service).delete("/admin/accounts/" + slug + "/tokens/" + tokenId).then().statusCode(200);
        as(service).body(Map.of("kind", "service")).post("/admin/accounts/" + slug + "/tokens").then()
                .statusCode(403);
        as(service).post("/admin/accounts/" + slug + "/suspend").then().statusCode(200);

        Response log = asRoot().queryParam("account", slug).get("/admin/audit");
        log.then().statusCode(200).body("entries.account", everyItem(equalTo(slug)));
        List<Map<String, Object>> entries = log.path("entries");
        // newest first
        assertEquals(List.of("account.suspend", "token.create", "token.revoke", "token.create", "account.limits",
                "account.create"), entries.stream().map(e -> e.get("action")).toList());
        Map<String, Object> raise = entries.get(4);
        assertEquals("raise-" + slug, raise.get("requestId"));
        assertEquals(Map.of("kind", "root", "tokenId", "root"), raise.get("actor"));
        assertEquals("ok", raise.get("outcome"));
        assertEquals("dayLimit 1000000->2000000 monthLimit 10000000->10000000", raise.get("detail"));
        Map<String, Object> refused = entries.get(1);
        assertEquals("FORBIDDEN", refused.get("outcome"));
        assertEquals("service", ((Map<?, ?>) refused.get("actor")).get("kind"));
        assertEquals("POST /admin/accounts/" + slug + "/tokens", refused.get("target"));
        assertEquals("token:" + tokenId, entries.get(2).get("target"));
        assertNotNull(entries.get(0).get("at"));
    }

    @Test
    void aRefusalIsRecordedUnderTheCallersAccountNeverTheOneItNamed() {
        String alpha = uniqueSlug("audit-alpha");
        String beta = uniqueSlug("audit-beta");
        String unborn = uniqueSlug("audit-unborn");
        String alphaService = serviceToken(alpha);
        serviceToken(beta);
        as(alphaService).body(Map.of("kind", "api")).post("/admin/accounts/" + beta + "/tokens").then()
                .statusCode(403);
        as(alphaService).body(Map.of("kind", "api")).post("/admin/accounts/" + unborn + "/tokens").then()
                .statusCode(403);
        asRoot().queryParam("account", beta).get("/admin/audit").then().statusCode(200)
                .body("entries.action", equalTo(List.of("account.create")));
        asRoot().queryParam("account", alpha).get("/admin/audit").then().statusCode(200)
                .body("entries[0].outcome", equalTo("FORBIDDEN"))
                .body("entries[0].account", equalTo(alpha))
                .body("entries[0].target", equalTo("POST /admin/accounts/" + unborn + "/tokens"))
                .body("entries[1].target", equalTo("POST /admin/accounts/" + beta + "/tokens"));
        // Whoever gets the slug later inherits nothing.
        serviceToken(unborn);
        asRoot().queryParam("account", unborn).get("/admin/audit").then()
                .body("entries.action", equalTo(List.of("account.create")));
        // Root's refusals are root's: no account, seen in the unfiltered log.
        asRoot().body(Map.of("slug", beta)).post("/admin/accounts").then().statusCode(409);
        asRoot().queryParam("account", beta).get("/admin/audit").then()
                .body("entries.action", equalTo(List.of("account.create")));
        Map<String, Object> rootRefusal = asRoot().get("/admin/audit").path(
                "entries.find { it.outcome == 'ACCOUNT_EXISTS' && it.target == 'POST /admin/accounts' }");
        assertNotNull(rootRefusal);
        assertEquals(null, rootRefusal.get("account"));
        assertEquals(Map.of("kind", "root", "tokenId", "root"), rootRefusal.get("actor"));
    }

    @Test
    void aServiceTokenReadsOnlyItsOwnAccountsEntries() {
        String mine = uniqueSlug("audit-mine");
        String theirs = uniqueSlug("audit-theirs");
        String service = serviceToken(mine);
        serviceToken(theirs);
        as(service).get("/admin/audit").then().statusCode(200).body("entries.account", everyItem(equalTo(mine)));
        as(service).queryParam("account", theirs).get("/admin/audit").then().statusCode(403)
                .body("code", equalTo("FORBIDDEN"));
        String api = dev.sluice.Api.apiToken(mine, service);
        as(api).get("/admin/audit").then().statusCode(403);
    }

    @Test
    void pagesNewestFirstWithACursor() {
        String slug = uniqueSlug("audit-pages");
        String service = serviceToken(slug);
        for (int i = 0; i < 4; i++) {
            as(service).post("/admin/accounts/" + slug + "/suspend").then().statusCode(200);
        }
        Response first = as(service).queryParam("limit", 2).get("/admin/audit");
        first.then().body("entries", hasSize(2));
        int lastId = first.path("entries[1].id");
        String cursor = first.path("nextCursor");
        as(service).queryParam("limit", 2).queryParam("cursor", cursor).get("/admin/audit").then()
                .body("entries", hasSize(2))
                .body("entries.id", everyItem(lessThanOrEqualTo(lastId - 1)));
        asRoot().queryParam("limit", 0).get("/admin/audit").then().statusCode(400).body("field", equalTo("limit"));
        asRoot().queryParam("cursor", "x").get("/admin/audit").then().statusCode(400).body("field", equalTo("cursor"));
        asRoot().queryParam("account", "Bad_Slug").get("/admin/audit").then().statusCode(400)
                .body("field", equalTo("slug"));
    }
}
