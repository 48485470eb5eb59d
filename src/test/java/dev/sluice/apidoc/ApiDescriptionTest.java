package dev.sluice.apidoc;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import dev.sluice.DocumentedResponses;
import dev.sluice.auth.Slugs;
import dev.sluice.web.DnsLabel;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.builder.ResponseBuilder;
import io.restassured.filter.Filter;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;

/**
 * What §10 asks of /q/openapi beyond what {@link DocumentedResponses} checks on every test's answers (and that it
 * does check them): the version, an operationId, summary, tag and caller tier per operation, Bearer security on every
 * authenticated one, the contract's error codes, and a Swagger UI that loads nothing from another origin.
 */
@QuarkusTest
class ApiDescriptionTest {

    static final Set<String> PUBLIC = Set.of("GET /api/plans", "GET /.well-known/jwks.json", "POST /webhooks/stripe");

    @Test
    void everyOperationIsNamedTaggedAndSecuredAsItsTierSays() {
        JsonPath document = given().accept("application/json").get("/q/openapi").then().statusCode(200).extract()
                .jsonPath();
        assertEquals("3.0.3", document.getString("openapi"));
        assertNotNull(document.getString("info.license.url"));
        assertNotNull(document.getString("info.contact.url"));
        assertEquals("bearer", document.getString("components.securitySchemes.bearer.scheme"));
        Map<String, Map<String, Map<String, Object>>> paths = document.getMap("paths");
        Set<String> operationIds = new HashSet<>();
        List<String> operations = new ArrayList<>();
        paths.forEach((path, item) -> item.forEach((method, raw) -> {
            String key = method.toUpperCase() + " " + path;
            operations.add(key);
            JsonPath operation = new JsonPath(toJson(raw));
            assertTrue(operationIds.add(operation.getString("operationId")), "unique operationId: " + key);
            assertNotNull(operation.getString("summary"), key);
            assertEquals(1, operation.getList("tags").size(), key);
            assertTrue(operation.getString("description").startsWith("Who may call: "), key);
            List<Map<String, Object>> security = operation.getList("security");
            if (PUBLIC.contains(key)) {
                assertTrue(security.isEmpty(), key + " is public");
            } else {
                assertEquals(List.of(Map.of("bearer", List.of())), security, key);
                assertEquals("#/components/responses/Unauthorized", operation.getString("responses.'401'.$ref"), key);
            }
        }));
        assertTrue(operations.containsAll(PUBLIC), operations.toString());
        for (String created : List.of("POST /admin/accounts", "POST /admin/accounts/{slug}/tokens",
                "POST /admin/accounts/{slug}/tokens/{id}/roll", "POST /v1/tunnels", "POST /admin/accounts/{slug}/members",
                "POST /admin/accounts/{slug}/webhooks", "POST /v1/subdomains", "POST /v1/workers")) {
            String[] parts = created.split(" ");
            assertNotNull(document.get("paths.'" + parts[1] + "'.post.responses.'201'"), created + " is 201");
        }
        assertTrue(document.getList("components.schemas.Error.properties.code.enum").containsAll(List.of(
                "VALIDATION_FAILED", "UNAUTHORIZED", "FORBIDDEN", "ACCOUNT_SUSPENDED", "TUNNEL_LIMIT_REACHED",
                "PLAN_LIMIT_REACHED", "RESERVED_SUBDOMAIN_NOT_ALLOWED", "NOT_FOUND", "ACCOUNT_EXISTS",
                "GLOBAL_CEILING_EXCEEDED", "SUBDOMAIN_TAKEN", "IDEMPOTENCY_CONFLICT", "TUNNEL_CLOSED",
                "PAYLOAD_TOO_LARGE", "QUOTA_EXCEEDED", "RATE_LIMITED", "UNAVAILABLE")));
        assertEquals("Idempotency-Key", document.getString("paths.'/v1/tunnels/{id}/lease'.post.parameters"
                + ".find { it.in == 'header' }.name"));
    }

    @Test
    void aMalformedSlugOrSubdomainInThePathIsADocumented400() {
        // The validator lets an undocumented status through under `default`, so the document's 400s are checked here.
        JsonPath document = given().accept("application/json").get("/q/openapi").then().statusCode(200).extract()
                .jsonPath();
        Map<String, Map<String, Map<String, Object>>> paths = document.getMap("paths");
        Map<String, String> patterns = Map.of("slug", Slugs.PATTERN, "member", Slugs.PATTERN, "name",
                DnsLabel.PATTERN);
        paths.forEach((path, item) -> item.forEach((method, raw) -> {
            JsonPath operation = new JsonPath(toJson(raw));
            if (path.contains("{slug}") || path.contains("{member}") || path.contains("{name}")) {
                assertNotNull(operation.get("responses.'400'"), method + " " + path + " lists 400");
            }
            List<Map<String, Object>> parameters = operation.getList("parameters");
            for (Map<String, Object> parameter : parameters == null ? List.<Map<String, Object>>of() : parameters) {
                if ("path".equals(parameter.get("in")) && patterns.containsKey(parameter.get("name"))) {
                    assertEquals(patterns.get(parameter.get("name")),
                            ((Map<?, ?>) parameter.get("schema")).get("pattern"), method + " " + path);
                }
            }
        }));
        String slug = Api.uniqueSlug("paths");
        String service = Api.createAccount(slug, Map.of("plan", "pro")).path("serviceToken");
        record Case(RequestSpecification caller, String method, String path, String field) {
        }
        for (Case refused : List.of(new Case(Api.asRoot(), "GET", "/admin/accounts/Bad_Slug", "slug"),
                new Case(Api.asRoot(), "POST", "/admin/accounts/x/suspend", "slug"),
                new Case(Api.as(service), "DELETE", "/admin/accounts/" + slug + "/members/Bad_Slug", "member"),
                new Case(Api.as(service), "DELETE", "/v1/subdomains/-bad-", "name"))) {
            refused.caller().request(refused.method(), refused.path()).then().statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED")).body("field", equalTo(refused.field()));
        }
    }

    @Test
    void anAnswerTheDocumentDoesNotDescribeFailsTheTestThatGotIt() {
        assertTrue(RestAssured.filters().stream().anyMatch(DocumentedResponses.class::isInstance));
        // A stand-in for the service, behind the global filter: an account whose slug is a number.
        Filter drifted = (request, response, context) -> new ResponseBuilder().setStatusCode(200)
                .setContentType("application/json").setBody("{\"slug\": 5, \"status\": \"active\"}").build();
        AssertionError refused = assertThrows(AssertionError.class,
                () -> Api.asRoot().filter(drifted).get("/admin/accounts/acme"));
        assertTrue(refused.getMessage().contains("/slug"), refused.getMessage());
        // A status the operation does not list passes the validator under `default`, and fails here.
        Filter unlisted = (request, response, context) -> new ResponseBuilder().setStatusCode(418)
                .setContentType("application/json").setBody("{\"code\": \"NOT_FOUND\", \"message\": \"no\"}").build();
        AssertionError teapot = assertThrows(AssertionError.class,
                () -> Api.asRoot().filter(unlisted).get("/admin/accounts/acme"));
        assertTrue(teapot.getMessage().contains("status 418 is not listed for get /admin/accounts/{slug}"),
                teapot.getMessage());
    }

    @Test
    void swaggerUiIsServedWithNothingFromAnotherOrigin() {
        String page = given().get("/q/swagger-ui/").then().statusCode(200).extract().asString();
        List<String> loaded = new ArrayList<>();
        Matcher references = Pattern.compile("(?:src|href)=\"([^\"]+)\"").matcher(page);
        while (references.find()) {
            loaded.add(references.group(1));
        }
        assertTrue(loaded.stream().anyMatch(url -> url.contains("swagger-ui-bundle.js")), loaded.toString());
        for (String url : loaded) {
            assertTrue(!url.contains("//"), "loaded from another origin: " + url);
            given().get(url.startsWith("/") ? url : "/q/swagger-ui/" + url).then().statusCode(200);
        }
        // Swagger UI's default validator badge would load from validator.swagger.io: it must be switched off.
        assertTrue(page.contains("validatorUrl: 'none'"), "validator badge off");
        Matcher origins = Pattern.compile("https?://[^\"' )]+").matcher(page);
        while (origins.find()) {
            String origin = origins.group();
            assertTrue(origin.startsWith("http://localhost") || origin.startsWith("http://127.0.0.1"),
                    "the page names another origin: " + origin);
        }
    }

    private static String toJson(Object value) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
