package dev.sluice.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class PlatformEndpointsTest {

    @Test
    void healthReflectsTheDatabase() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body(containsString("Database connections health check"));
    }

    @Test
    void openApiAndMetricsArePublished() {
        given().get("/q/openapi").then().statusCode(200).body(containsString("/admin/accounts/{slug}/tokens"));
        // A request to a templated path is counted under its template, not under each slug.
        String slug = Api.uniqueSlug("metrics");
        Api.createAccount(slug, Map.of());
        Api.asRoot().get("/admin/accounts/" + slug).then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200).body(containsString("http_server_requests"))
                .body(containsString("uri=\"/admin/accounts/{slug}\"")).body(not(containsString(slug)));
    }

    @Test
    void everyResponseCarriesARequestIdAndUnsafeOnesAreReplaced() {
        given().header("X-Request-Id", "abc-123").get("/q/health/live").then().header("X-Request-Id", "abc-123");
        Api.asRoot().header("X-Request-Id", "bad id\nwith newline").get("/admin/accounts/nope-nope").then()
                .statusCode(404)
                .header("X-Request-Id", matchesPattern("[0-9a-f-]{36}"))
                .body("code", equalTo("NOT_FOUND"));
    }

    @Test
    void unknownPathsAndMethodsAreContractErrors() {
        Api.asRoot().get("/admin/nothing-here").then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        Api.asRoot().delete("/admin/accounts").then().statusCode(405).body("code", equalTo("VALIDATION_FAILED"));
    }
}
