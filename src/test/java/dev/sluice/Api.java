package dev.sluice;

import static io.restassured.RestAssured.given;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/** Test helpers: the test profile's tokens and short ways to create accounts and mint tokens over HTTP. */
public final class Api {

    public static final String ROOT = "vtr_TestRootToken0000000000000000000000rWvyY";
    public static final String TUNNEL_SECRET = "legacy-tunnel-secret-for-tests";
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private Api() {
    }

    /** A slug no other test uses, so tests sharing one database never collide. */
    public static String uniqueSlug(String prefix) {
        return prefix + "-" + SEQUENCE.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    public static RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token).contentType(ContentType.JSON);
    }

    public static RequestSpecification asRoot() {
        return as(ROOT);
    }

    /** Creates an account with the given extra fields and returns the whole 201 response. */
    public static Response createAccount(String slug, Map<String, Object> fields) {
        Map<String, Object> body = new java.util.HashMap<>(fields);
        body.put("slug", slug);
        return asRoot().body(body).post("/admin/accounts").then().statusCode(201).extract().response();
    }

    /** Creates an account with default limits and returns its service token. */
    public static String serviceToken(String slug) {
        return createAccount(slug, Map.of()).path("serviceToken");
    }

    public static String apiToken(String slug, String serviceToken) {
        return as(serviceToken).body(Map.of("kind", "api")).post("/admin/accounts/" + slug + "/tokens")
                .then().statusCode(201).extract().path("token");
    }
}
