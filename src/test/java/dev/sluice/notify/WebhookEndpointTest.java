package dev.sluice.notify;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static dev.sluice.Api.serviceToken;
import static dev.sluice.Api.uniqueSlug;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/** With the default WEBHOOK_ALLOW_PRIVATE=false, internal targets are refused by what they resolve to. */
@QuarkusTest
class WebhookEndpointTest {

    @Test
    void privateAndLoopbackTargetsAreRefused() {
        String slug = uniqueSlug("private");
        String service = serviceToken(slug);
        for (String url : new String[] { "http://127.0.0.1/hook", "http://localhost:8080/hook", "http://10.1.2.3/x",
                "http://192.168.0.10/x", "http://169.254.169.254/latest", "http://[::1]/x", "http://0.0.0.0/x",
                "ftp://example.com/x", "not a url", "http://user@8.8.8.8/x",
                // IPv4 inside IPv6 (v4-compatible, NAT64, 6to4) and the less familiar special-purpose ranges
                "http://[::127.0.0.1]/x", "http://[64:ff9b::7f00:1]/x", "http://[2002:7f00:1::]/x",
                "http://0.0.0.1/x", "http://198.18.0.1/x", "http://[::ffff:10.0.0.1]/x", "http://203.0.113.10/x",
                "http://[2001:db8::1]/x", "http://[fec0::1]/x", "http://255.255.255.255/x", "http://240.0.0.1/x",
                // ports outside 1..65535
                "https://9.9.9.9:0/x", "https://9.9.9.9:65536/x", "https://9.9.9.9:99999999999/x" }) {
            as(service).body(Map.of("url", url, "events", List.of("quota.exceeded")))
                    .post("/admin/accounts/" + slug + "/webhooks").then().statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED")).body("field", equalTo("url"));
        }
        as(service).body(Map.of("url", "https://9.9.9.9/hook", "events", List.of("quota.nope")))
                .post("/admin/accounts/" + slug + "/webhooks").then().statusCode(400).body("field", equalTo("events"));
        as(service).body("{\"url\":\"https://9.9.9.9/hook\",\"events\":[null]}")
                .post("/admin/accounts/" + slug + "/webhooks").then().statusCode(400).body("field", equalTo("events"));
        as(service).body(Map.of("url", "https://9.9.9.9/hook", "events", List.of()))
                .post("/admin/accounts/" + slug + "/webhooks").then().statusCode(400).body("field", equalTo("events"));
        as(service).delete("/admin/accounts/" + slug + "/webhooks/00000000-0000-0000-0000-000000000000").then()
                .statusCode(404);
        as(service).get("/admin/accounts/" + slug + "/webhooks/nope/deliveries").then().statusCode(404);
    }

    @Test
    void aPublicTargetIsAcceptedAndCanBeDeleted() {
        String slug = uniqueSlug("public");
        String service = serviceToken(slug);
        String id = as(service).header("X-Request-Id", "hook-" + slug)
                .body(Map.of("url", "https://9.9.9.9/hook", "events", List.of("plan.downgraded")))
                .post("/admin/accounts/" + slug + "/webhooks").then().statusCode(201).extract().path("id");
        as(service).header("X-Request-Id", "private-" + slug)
                .body(Map.of("url", "http://127.0.0.1/hook", "events", List.of("plan.downgraded")))
                .post("/admin/accounts/" + slug + "/webhooks").then().statusCode(400);
        as(service).delete("/admin/accounts/" + slug + "/webhooks/" + id).then().statusCode(200)
                .body("ok", equalTo(true));

        // Stored after the lookup, on another thread, still under the request's id and caller; so is a refusal.
        List<Map<String, Object>> entries = asRoot().queryParam("account", slug).get("/admin/audit").path("entries");
        assertEquals(List.of("webhook.delete", "webhook.create", "webhook.create"),
                entries.subList(0, 3).stream().map(e -> e.get("action")).toList());
        assertEquals(List.of("VALIDATION_FAILED", "private-" + slug, "service"), List.of(entries.get(1).get("outcome"),
                entries.get(1).get("requestId"), ((Map<?, ?>) entries.get(1).get("actor")).get("kind")));
        assertEquals(List.of("ok", "hook-" + slug, "webhook:" + id, "service"), List.of(entries.get(2).get("outcome"),
                entries.get(2).get("requestId"), entries.get(2).get("target"),
                ((Map<?, ?>) entries.get(2).get("actor")).get("kind")));
    }

    @Test
    void addressesAreJudgedByWhatTheyAre() throws Exception {
        assertTrue(WebhookTargets.isInternal(InetAddress.getByName("100.64.0.1")));
        assertTrue(WebhookTargets.isInternal(InetAddress.getByName("fd00::1")));
        assertTrue(WebhookTargets.isInternal(InetAddress.getByName("172.16.5.4")));
        assertTrue(WebhookTargets.isInternal(InetAddress.getByName("192.0.0.170")));
        assertTrue(WebhookTargets.isInternal(InetAddress.getByName("192.88.99.1")));
        assertTrue(WebhookTargets.isInternal(InetAddress.getByName("64:ff9b:1::a00:1")));
        assertTrue(WebhookTargets.isInternal(InetAddress.getByName("2001::1")));
        assertTrue(WebhookTargets.isInternal(InetAddress.getByName("3fff::1")));
        assertTrue(WebhookTargets.isInternal(InetAddress.getByName("5f00::1")));
        assertTrue(WebhookTargets.isInternal(InetAddress.getByName("ff02::1")));
        assertTrue(WebhookTargets.isInternal(InetAddress.getByName("::")));
        assertTrue(WebhookTargets.isInternal(InetAddress.getByName("100::1")));
        assertFalse(WebhookTargets.isInternal(InetAddress.getByName("8.8.8.8")));
        assertFalse(WebhookTargets.isInternal(InetAddress.getByName("198.20.0.1")));
        assertFalse(WebhookTargets.isInternal(InetAddress.getByName("2001:4860:4860::8888")));
        // A public IPv4 address behind NAT64 or 6to4 is public.
        assertFalse(WebhookTargets.isInternal(InetAddress.getByName("64:ff9b::808:808")));
        assertFalse(WebhookTargets.isInternal(InetAddress.getByName("2002:808:808::1")));
    }
}
