package dev.sluice.web;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class PlatformEndpointsTest {

    /** The management port's /q/ (its root path): health and metrics are served there and nowhere else. */
    @TestHTTPResource(value = "/", management = true)
    URL management;

    @Test
    void healthIsOnTheManagementPortAndReflectsTheDatabase() throws Exception {
        HttpResponse<String> live = managementGet("health/live");
        assertEquals(200, live.statusCode());
        assertTrue(live.body().contains("\"UP\""), live.body());
        HttpResponse<String> ready = managementGet("health/ready");
        assertEquals(200, ready.statusCode());
        assertTrue(ready.body().contains("Database connections health check"), ready.body());
        assertEquals(200, managementGet("health/started").statusCode());
    }

    @Test
    void metricsAreOnTheManagementPortCountedByTemplate() throws Exception {
        // A request to a templated path is counted under its template, not under each slug.
        String slug = Api.uniqueSlug("metrics");
        Api.createAccount(slug, Map.of());
        Api.asRoot().get("/admin/accounts/" + slug).then().statusCode(200);
        HttpResponse<String> metrics = managementGet("metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("http_server_requests"));
        assertTrue(metrics.body().contains("uri=\"/admin/accounts/{slug}\""));
        assertFalse(metrics.body().contains(slug));
    }

    @Test
    void theApiPortServesTheDescriptionButNeitherHealthNorMetrics() {
        given().get("/q/openapi").then().statusCode(200).body(containsString("/admin/accounts/{slug}/tokens"));
        for (String path : new String[] { "/q/metrics", "/q/health", "/q/health/ready" }) {
            given().get(path).then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        }
    }

    @Test
    void everyResponseCarriesARequestIdAndUnsafeOnesAreReplaced() {
        given().header("X-Request-Id", "abc-123").get("/api/plans").then().header("X-Request-Id", "abc-123");
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

    /** Plain HTTP, outside RestAssured's filters, which check answers against the API port's description. */
    private HttpResponse<String> managementGet(String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(management.toString()).resolve(path))
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
