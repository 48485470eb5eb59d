package dev.sluice.tunnel;

import static dev.sluice.Api.as;
import static dev.sluice.Api.createAccount;

import java.util.HashMap;
import java.util.Map;

import dev.sluice.Api;
import io.restassured.response.Response;

/** A test account with an api token, and the calls a relay makes. */
record Relay(String slug, String service, String api) {

    static Relay create(String prefix, Map<String, Object> fields) {
        String slug = Api.uniqueSlug(prefix);
        String service = createAccount(slug, fields).path("serviceToken");
        return new Relay(slug, service, Api.apiToken(slug, service));
    }

    Response register(Map<String, Object> body) {
        return as(api).body(body).post("/v1/tunnels");
    }

    String open() {
        return register(Map.of()).then().statusCode(201).extract().path("id");
    }

    Response lease(String tunnel, Long consumed, Long want) {
        Map<String, Object> body = new HashMap<>();
        if (consumed != null) {
            body.put("consumed", consumed);
        }
        if (want != null) {
            body.put("want", want);
        }
        return as(api).body(body).post("/v1/tunnels/" + tunnel + "/lease");
    }

    Response close(String tunnel, long consumed) {
        return as(api).body(Map.of("consumed", consumed)).post("/v1/tunnels/" + tunnel + "/close");
    }

    /** The account's open tunnels. */
    Response tunnels() {
        return as(service).get("/v1/tunnels");
    }
}
