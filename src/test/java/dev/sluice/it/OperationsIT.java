package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

/**
 * The packaged jar run as an operator runs it (docs/operations.md): {@code LOG_FORMAT=json}, traces sent to an OTLP
 * endpoint ({@code OTEL_EXPORTER_OTLP_ENDPOINT}, here a collector stand-in on loopback that keeps what it is sent),
 * and the domain metrics on the management port, every outcome at 0 before any traffic.
 */
class OperationsIT {

    static final String ROOT = PackagedJar.ROOT;
    static final Path LOG = Path.of("target/operations-it.log");
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** What the service exported to the collector: one OTLP/HTTP protobuf body per request. */
    static final List<String> exported = new ArrayList<>();

    static HttpServer collector;
    static PackagedJar sluice;
    static String baseUri;
    static String metricsAtStart;

    @BeforeAll
    static void startTheJarWithJsonLogsAndTraces() throws Exception {
        collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/", exchange -> {
            byte[] body = unzipped(exchange.getRequestBody(), exchange.getRequestHeaders().getFirst("Content-Encoding"));
            synchronized (exported) {
                // Protobuf keeps strings as UTF-8 bytes: names and attribute values can be looked for as text.
                exported.add(exchange.getRequestURI().getPath() + " " + new String(body, StandardCharsets.ISO_8859_1));
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        Map<String, String> env = new HashMap<>();
        env.put("QUARKUS_DATASOURCE_JDBC_URL", System.getProperty("it.jdbc.url",
                "jdbc:postgresql://127.0.0.1:5432/test"));
        // No scheduled round before the first read of the metrics: everything there is still at 0. The outbox is
        // shared with the other packaged-jar tests, whose due deliveries this jar would otherwise send and count.
        env.put("RECONCILE_EVERY", "off");
        env.put("WEBHOOK_POLL_EVERY", "off");
        env.put("LOG_FORMAT", "json");
        env.put("QUARKUS_HTTP_ACCESS_LOG_ENABLED", "true");
        env.put("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.getAddress().getPort());
        env.put("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
        env.put("QUARKUS_OTEL_BSP_SCHEDULE_DELAY", "200ms");
        sluice = PackagedJar.start(LOG, env).awaitReady();
        baseUri = sluice.baseUri;
        String management = sluice.managementUri;
        metricsAtStart = HTTP.send(HttpRequest.newBuilder(URI.create(management + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @AfterAll
    static void stop() {
        if (sluice != null) {
            sluice.close();
        }
        if (collector != null) {
            collector.stop(0);
        }
    }

    @Test
    void everyDomainMetricIsThereAtZeroBeforeAnyTraffic() {
        List<String> series = new ArrayList<>();
        for (String outcome : List.of("ok", "quota", "closed", "not_found", "unauthorized", "idempotency_conflict",
                "unavailable")) {
            series.add("sluice_leases_total{outcome=\"" + outcome + "\"}");
        }
        for (String outcome : List.of("registered", "quota", "refused", "unavailable")) {
            series.add("sluice_registrations_total{outcome=\"" + outcome + "\"}");
        }
        for (String kind : List.of("granted", "consumed", "returned", "unbilled")) {
            series.add("sluice_credits_total{kind=\"" + kind + "\"}");
        }
        for (String outcome : List.of("delivered", "retried", "failed")) {
            series.add("sluice_webhook_deliveries_total{outcome=\"" + outcome + "\"}");
        }
        for (String outcome : List.of("ok", "failed")) {
            series.add("sluice_reconciler_runs_total{outcome=\"" + outcome + "\"}");
        }
        for (String action : List.of("tunnel_closed", "subdomain_released", "worker_quarantined")) {
            series.add("sluice_reconciler_actions_total{action=\"" + action + "\"}");
        }
        for (String outcome : List.of("plan", "linked", "duplicate", "unknown_customer", "stale", "rejected")) {
            series.add("sluice_stripe_events_total{outcome=\"" + outcome + "\"}");
        }
        for (String reason : List.of("missing", "malformed", "unknown", "dead", "limited")) {
            series.add("sluice_auth_failures_total{reason=\"" + reason + "\"}");
        }
        for (String table : List.of("tunnel", "webhook_event", "webhook_delivery", "webhook_attempt",
                "stripe_event", "subdomain_claim", "subdomain_release", "audit_entry", "idempotency_key")) {
            series.add("sluice_retention_purged_total{table=\"" + table + "\"}");
        }
        series.addAll(List.of("sluice_settlement_batch_size_count", "sluice_settlement_duration_seconds_count",
                "sluice_settlement_duration_seconds_bucket{le=\"+Inf\"}"));
        List<String> lines = metricsAtStart.lines().toList();
        for (String sample : series) {
            assertTrue(lines.contains(sample + " 0.0"), sample + " 0.0 is not among\n" + metricsAtStart);
        }
        // The backlog gauges read the database (shared with other tests here) every 15 s: there, whatever they say.
        for (String gauge : List.of("sluice_webhook_outbox_depth", "sluice_webhook_oldest_pending_age_seconds")) {
            assertTrue(lines.stream().anyMatch(line -> line.startsWith(gauge + " ")), gauge);
        }
    }

    @Test
    void aLeaseIsTracedThroughItsWaitAndSettlementAndEveryLogLineIsJson() throws Exception {
        String slug = "ops-" + UUID.randomUUID().toString().substring(0, 8);
        String service = JSON.readTree(call("POST", "/admin/accounts", ROOT, "{\"slug\":\"" + slug + "\"}"))
                .path("serviceToken").asText();
        String api = JSON.readTree(call("POST", "/admin/accounts/" + slug + "/tokens", service, "{\"kind\":\"api\"}"))
                .path("token").asText();
        String tunnel = JSON.readTree(call("POST", "/v1/tunnels", api, "{}")).path("id").asText();
        call("POST", "/v1/tunnels/" + tunnel + "/lease", api, "{\"consumed\":0,\"want\":5}");

        String traces = "";
        for (long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos(); System.nanoTime() < deadline;) {
            synchronized (exported) {
                traces = String.join("\n", exported);
            }
            if (traces.contains("sluice.lease") && traces.contains("/v1/tunnels/{id}/lease")) {
                break;
            }
            Thread.sleep(200);
        }
        assertTrue(traces.startsWith("/v1/traces"), "OTLP/HTTP posts its traces to /v1/traces");
        assertTrue(traces.contains("/v1/tunnels/{id}/lease"), "the lease request's span");
        assertTrue(traces.contains("sluice.lease"), "the lease's own span");
        assertTrue(traces.contains("settling"), "its event where the wait for the batch ends");

        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(LOG)) {
            if (!line.isBlank()) {
                JsonNode parsed = JSON.readTree(line);
                assertTrue(parsed.isObject(), line);
                lines.add(parsed);
            }
        }
        JsonNode lease = lines.stream().filter(l -> l.path("message").asText().contains("/lease HTTP")).findFirst()
                .orElseThrow(() -> new AssertionError("no access log line for the lease in " + LOG));
        assertEquals(slug, lease.path("tenant").asText(), lease.toString());
        assertTrue(lease.path("requestId").asText().matches("[0-9a-f-]{36}"), lease.toString());
    }

    private static String call(String method, String path, String token, String body) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(baseUri + path))
                .method(method, HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(response.statusCode() < 300, method + " " + path + ": " + response.body());
        return response.body();
    }

    private static byte[] unzipped(InputStream body, String encoding) throws IOException {
        try (InputStream in = "gzip".equalsIgnoreCase(encoding) ? new GZIPInputStream(body) : body) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        }
    }
}
