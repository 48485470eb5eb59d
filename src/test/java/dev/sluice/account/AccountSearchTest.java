package dev.sluice.account;

import static dev.sluice.Api.asRoot;
import static dev.sluice.Api.createAccount;
import static dev.sluice.Api.serviceToken;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

@QuarkusTest
class AccountSearchTest {

    @Test
    void qMatchesAPrefixOfSlugNameOrEmailIgnoringCase() {
        String tag = "srch" + UUID.randomUUID().toString().substring(0, 6);
        createAccount(tag + "-alpha", Map.of());
        createAccount(tag + "-beta", Map.of("name", "Zed " + tag.toUpperCase()));
        createAccount("zz" + tag + "-gamma", Map.of("name", "Gamma", "email", tag.toUpperCase() + "@Example.com"));
        createAccount("zz" + tag + "-delta", Map.of("name", "Delta " + tag, "email", "ops@example.com"));

        // alpha by slug, beta by name, gamma by email; delta's name and email do not start with the tag
        search(tag).then().statusCode(200)
                .body("accounts.slug", contains(tag + "-alpha", tag + "-beta", "zz" + tag + "-gamma"))
                .body("global.allocated.day", notNullValue()).body("nextCursor", nullValue());
        search(tag.toUpperCase() + "-A").then().body("accounts.slug", contains(tag + "-alpha"));
        search("zed " + tag).then().body("accounts.slug", contains(tag + "-beta"));
        search(tag + "@example").then().body("accounts.slug", contains("zz" + tag + "-gamma"));
        // a prefix, not a substring: "Delta <tag>" does not start with the tag
        search("elta " + tag).then().body("accounts", hasSize(0));
        search("").then().statusCode(200);
    }

    @Test
    void cursorPagingKeepsTheFilter() {
        String tag = "page" + UUID.randomUUID().toString().substring(0, 6);
        for (int i = 0; i < 5; i++) {
            serviceToken(tag + "-" + i);
        }
        serviceToken("other-" + tag);
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            var request = asRoot().queryParam("q", tag).queryParam("limit", 2);
            if (cursor != null) {
                request.queryParam("cursor", cursor);
            }
            JsonPath page = request.get("/admin/accounts").then().statusCode(200).extract().jsonPath();
            seen.addAll(page.getList("accounts.slug"));
            cursor = page.getString("nextCursor");
            pages++;
        } while (cursor != null && pages < 10);
        org.junit.jupiter.api.Assertions.assertEquals(
                List.of(tag + "-0", tag + "-1", tag + "-2", tag + "-3", tag + "-4"), seen);
        org.junit.jupiter.api.Assertions.assertEquals(3, pages);
    }

    @Test
    void likeWildcardsInQAreLiteral() {
        String tag = "wild" + UUID.randomUUID().toString().substring(0, 6);
        createAccount(tag + "-x", Map.of("name", tag + "_under"));
        createAccount(tag + "-y", Map.of("name", tag + "Xunder"));
        createAccount(tag + "-z", Map.of("name", tag + "%pct"));
        createAccount(tag + "-w", Map.of("name", tag + "!bang"));

        search(tag + "_").then().body("accounts.slug", contains(tag + "-x"));
        search(tag + "%").then().body("accounts.slug", contains(tag + "-z"));
        search(tag + "!").then().body("accounts.slug", contains(tag + "-w"));
        search("%" + tag).then().body("accounts", hasSize(0));
        search("_" + tag.substring(1)).then().body("accounts", hasSize(0));
    }

    @Test
    void badQueriesAreRefused() {
        search("a".repeat(201)).then().statusCode(400).body("code", equalTo("VALIDATION_FAILED"))
                .body("field", equalTo("q"));
        search("a".repeat(200)).then().statusCode(200).body("accounts", hasSize(0));
        search("ab\u0000c").then().statusCode(400).body("field", equalTo("q"));
        asRoot().queryParam("q", "x").queryParam("cursor", "not-a-cursor!").get("/admin/accounts").then()
                .statusCode(400).body("field", equalTo("cursor"));
        asRoot().queryParam("q", "x").queryParam("limit", "0").get("/admin/accounts").then().statusCode(400)
                .body("field", equalTo("limit"));
        search("<img src=x onerror=alert(1)>'\"; drop table account; --").then().statusCode(200)
                .body("accounts", hasSize(0));
        String slug = Api.uniqueSlug("srch-svc");
        Api.as(serviceToken(slug)).queryParam("q", slug).get("/admin/accounts").then().statusCode(403);
    }

    private static io.restassured.response.Response search(String q) {
        return asRoot().queryParam("q", q).get("/admin/accounts");
    }
}
