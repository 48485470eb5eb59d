package dev.sluice.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;

/** Lints and renders helm/sluice with the Helm library helm-java bundles, and checks what matters. */
class HelmChartTest {

    static final Path CHART = Path.of("helm/sluice");
    static final Path PRODUCTION = Path.of("src/test/resources/helm-production-values.yaml");
    /** A metric as PromQL names it: Sluice's own and Quarkus's HTTP meter, each series suffix included. */
    private static final Pattern METRIC = Pattern.compile("\\b(?:sluice|http_server)_\\w+");

    @Test
    void theChartLintsClean() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertFalse(lint.isFailed(), String.join("\n", lint.getMessages()));
    }

    @Test
    void theChartLintsCleanWithTheDashboardAndTheAlertsOn(@TempDir Path copy) throws Exception {
        // helm-java's lint takes no values: it lints a copy of the chart whose values.yaml turns both on.
        try (Stream<Path> files = Files.walk(CHART)) {
            for (Path file : files.toList()) {
                Path target = copy.resolve(CHART.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
        YAMLMapper yaml = new YAMLMapper();
        ObjectNode values = (ObjectNode) yaml.readTree(copy.resolve("values.yaml").toFile());
        ((ObjectNode) values.get("grafanaDashboard")).put("enabled", true);
        ((ObjectNode) values.get("prometheusRule")).put("enabled", true);
        yaml.writeValue(copy.resolve("values.yaml").toFile(), values);
        LintResult lint = new Helm(copy).lint().strict().call();
        assertFalse(lint.isFailed(), String.join("\n", lint.getMessages()));
    }

    @Test
    void defaultsRunTwoHardenedReplicasWithProbesAndAChartManagedSecret() throws Exception {
        List<JsonNode> objects = render(new Helm(CHART).template().withName("edge")
                .set("secrets.values.rootToken", "vtr_placeholder").set("secrets.values.tunnelSecret", "legacy-tunnel")
                .set("secrets.values.secretsKey", "a2V5").call());
        JsonNode deployment = only(objects, "Deployment");
        assertEquals(2, deployment.at("/spec/replicas").asInt());
        JsonNode pod = deployment.at("/spec/template/spec");
        JsonNode container = pod.at("/containers/0");
        assertEquals("/q/health/started", container.at("/startupProbe/httpGet/path").asText());
        assertEquals("/q/health/live", container.at("/livenessProbe/httpGet/path").asText());
        assertEquals("/q/health/ready", container.at("/readinessProbe/httpGet/path").asText());
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            assertEquals("management", container.at("/" + probe + "/httpGet/port").asText(), probe);
        }
        assertEquals(9000, port(container.at("/ports"), "management").at("/containerPort").asInt());
        assertTrue(pod.at("/securityContext/runAsNonRoot").asBoolean());
        assertEquals(185, pod.at("/securityContext/runAsUser").asInt());
        assertTrue(container.at("/securityContext/readOnlyRootFilesystem").asBoolean());
        assertFalse(container.at("/securityContext/allowPrivilegeEscalation").asBoolean());
        assertFalse(container.at("/resources/requests/memory").isMissingNode());
        assertFalse(deployment.at("/spec/template/metadata/annotations/checksum~1config").asText().isEmpty());
        assertEquals("edge-sluice-secrets", secretRef(container, "ROOT_TOKEN"));
        assertEquals("edge-sluice-secrets", secretRef(container, "QUARKUS_DATASOURCE_PASSWORD"));
        assertEquals("edge-sluice-secrets", secretRef(container, "STRIPE_WEBHOOK_SECRET"));
        assertEquals("edge-sluice-secrets", secretRef(container, "STRIPE_LINK_SECRET"));
        assertEquals("edge-sluice-secrets", secretRef(container, "JWT_SIGNING_KEY"));
        for (String variable : List.of("TUNNEL_SECRET", "SECRETS_KEY", "SECRETS_KEY_PREVIOUS", "STRIPE_LINK_SECRET")) {
            assertEquals("edge-sluice-secrets", secretRef(container, variable));
        }
        assertFalse(optional(container, "SECRETS_KEY"), "production refuses to start without it");
        assertTrue(optional(container, "TUNNEL_SECRET"));
        JsonNode secret = only(objects, "Secret");
        assertEquals("vtr_placeholder", secret.at("/stringData/ROOT_TOKEN").asText());
        assertEquals("legacy-tunnel", secret.at("/stringData/TUNNEL_SECRET").asText());
        assertEquals("a2V5", secret.at("/stringData/SECRETS_KEY").asText());
        assertTrue(secret.at("/stringData/STRIPE_WEBHOOK_SECRET").isMissingNode(), "empty values are left out");
        JsonNode config = only(objects, "ConfigMap");
        assertEquals("jdbc:postgresql://postgresql:5432/sluice", config.at("/data/QUARKUS_DATASOURCE_JDBC_URL").asText());
        assertEquals("tunnel.example.com", config.at("/data/TUNNEL_DOMAIN").asText());
        assertEquals("120", config.at("/data/AUTH_FAILURE_LIMIT").asText());
        assertTrue(config.at("/data/TUNNEL_SECRET").isMissingNode(), "secrets stay out of the ConfigMap");
        assertTrue(config.at("/data/SECRETS_KEY").isMissingNode());
        assertEquals(1, only(objects, "PodDisruptionBudget").at("/spec/minAvailable").asInt());
        JsonNode api = named(objects, "Service", "edge-sluice");
        assertEquals(1, api.at("/spec/ports").size(), "the API's Service carries the API port only");
        assertEquals("http", api.at("/spec/ports/0/targetPort").asText());
        JsonNode management = named(objects, "Service", "edge-sluice-management");
        assertEquals("ClusterIP", management.at("/spec/type").asText());
        assertEquals("management", port(management.at("/spec/ports"), "management").at("/targetPort").asText());
        assertTrue(find(objects, "HorizontalPodAutoscaler").isEmpty());
        assertTrue(find(objects, "ServiceMonitor").isEmpty());
        assertTrue(find(objects, "PrometheusRule").isEmpty());
        assertTrue(objects.stream().noneMatch(o -> o.at("/metadata/name").asText().equals("edge-sluice-dashboard")));
    }

    @Test
    void productionValuesUseTheExistingSecretAutoscalingAndMonitoring() throws Exception {
        List<JsonNode> objects = render(new Helm(CHART).template().withName("sluice")
                .withValuesFile(PRODUCTION).call());
        assertTrue(find(objects, "Secret").isEmpty(), "an existing Secret is referenced, not created");
        JsonNode deployment = only(objects, "Deployment");
        assertTrue(deployment.at("/spec/replicas").isMissingNode(), "the HPA owns the replica count");
        JsonNode container = deployment.at("/spec/template/spec/containers/0");
        assertEquals("registry.example.com/platform/sluice:1.4.2", container.at("/image").asText());
        assertEquals("sluice-prod", secretRef(container, "ROOT_TOKEN"));
        assertEquals("sluice-prod", secretRef(container, "TUNNEL_SECRET"));
        assertEquals("sluice-prod", secretRef(container, "SECRETS_KEY"));
        assertEquals(3, only(objects, "HorizontalPodAutoscaler").at("/spec/minReplicas").asInt());
        JsonNode monitor = only(objects, "ServiceMonitor");
        assertEquals("/q/metrics", monitor.at("/spec/endpoints/0/path").asText());
        assertEquals("management", monitor.at("/spec/endpoints/0/port").asText());
        // Its selector picks the management Service alone: the API's Service has the pods' labels too.
        JsonNode selector = monitor.at("/spec/selector/matchLabels");
        List<String> labels = new ArrayList<>();
        selector.fieldNames().forEachRemaining(labels::add);
        List<String> matching = objects.stream().filter(o -> o.at("/kind").asText().equals("Service"))
                .filter(o -> labels.stream().allMatch(l -> selector.get(l).equals(o.at("/metadata/labels").get(l))))
                .map(o -> o.at("/metadata/name").asText()).toList();
        assertEquals(List.of("sluice-management"), matching);
        assertEquals(2, only(objects, "PodDisruptionBudget").at("/spec/minAvailable").asInt());
        assertEquals("50000", only(objects, "ConfigMap").at("/data/GLOBAL_DAY_LIMIT").asText());
    }

    @Test
    void theDashboardIsForGrafanasSidecarAndTheAlertsTakeTheirThresholdsFromValues() throws Exception {
        List<JsonNode> objects = render(withMonitoring(new Helm(CHART).template().withName("edge"))
                .set("grafanaDashboard.namespace", "monitoring")
                .set("grafanaDashboard.annotations.grafana_folder", "Sluice")
                .set("prometheusRule.labels.release", "kube-prometheus-stack")
                .set("prometheusRule.webhookOldestPendingSeconds", 1800)
                .set("prometheusRule.errorRatio", 0.02)
                .set("prometheusRule.settlementP99Seconds", 0.25).call());
        JsonNode configMap = named(objects, "ConfigMap", "edge-sluice-dashboard");
        assertEquals("1", configMap.at("/metadata/labels/grafana_dashboard").asText());
        assertEquals("monitoring", configMap.at("/metadata/namespace").asText());
        assertEquals("Sluice", configMap.at("/metadata/annotations/grafana_folder").asText());
        JsonNode dashboard = dashboard(objects);
        assertEquals("datasource", dashboard.at("/templating/list/0/type").asText());
        assertFalse(dashboard.at("/panels").isEmpty());
        for (JsonNode panel : dashboard.at("/panels")) {
            assertFalse(panel.at("/targets").isEmpty(), panel.at("/title").asText());
            for (JsonNode target : panel.at("/targets")) {
                assertEquals("${datasource}", target.at("/datasource/uid").asText(), panel.at("/title").asText());
            }
        }
        JsonNode rule = only(objects, "PrometheusRule");
        assertEquals("kube-prometheus-stack", rule.at("/metadata/labels/release").asText());
        Map<String, JsonNode> alerts = alerts(rule);
        assertEquals(Set.of("SluiceWebhookDeliveriesBehind", "SluiceHigh5xxRate", "SluiceSettlementSlow",
                "SluiceReconcilerFailing"), alerts.keySet());
        assertTrue(alerts.get("SluiceWebhookDeliveriesBehind").at("/expr").asText().endsWith("> 1800"));
        assertTrue(alerts.get("SluiceHigh5xxRate").at("/expr").asText().endsWith("> 0.02"));
        assertTrue(alerts.get("SluiceSettlementSlow").at("/expr").asText().endsWith("> 0.25"));
        for (JsonNode alert : alerts.values()) {
            String name = alert.at("/alert").asText();
            assertTrue(Set.of("warning", "critical").contains(alert.at("/labels/severity").asText()), name);
            assertFalse(alert.at("/annotations/summary").asText().isBlank(), name);
            assertFalse(alert.at("/annotations/description").asText().isBlank(), name);
        }
        // Left for Prometheus to fill in, not rendered away by Helm.
        assertTrue(alerts.get("SluiceHigh5xxRate").at("/annotations/description").asText()
                .startsWith("{{ $value | humanizePercentage }}"));
    }

    @Test
    void theAlertsDefaultToTheThresholdsInValues() throws Exception {
        Map<String, JsonNode> alerts = alerts(only(render(withMonitoring(new Helm(CHART).template()).call()),
                "PrometheusRule"));
        assertTrue(alerts.get("SluiceWebhookDeliveriesBehind").at("/expr").asText().endsWith("> 900"));
        assertTrue(alerts.get("SluiceHigh5xxRate").at("/expr").asText().endsWith("> 0.05"));
        assertTrue(alerts.get("SluiceSettlementSlow").at("/expr").asText().endsWith("> 0.5"));
    }

    @Test
    void theMetricsTheChartQueriesAreNamedAsPromQlWritesThem() throws Exception {
        Set<String> metrics = metricsQueriedByTheChart();
        assertTrue(metrics.contains("sluice_settlement_duration_seconds_bucket"), metrics.toString());
        assertTrue(metrics.contains("sluice_webhook_oldest_pending_age_seconds"), metrics.toString());
        assertTrue(metrics.contains("http_server_requests_seconds_count"), metrics.toString());
        assertTrue(metrics.stream().noneMatch(m -> m.contains("rate_interval")), metrics.toString());
    }

    @Test
    void theSchemaRefusesBadValues() {
        RuntimeException replicas = assertThrows(RuntimeException.class,
                () -> new Helm(CHART).template().set("replicaCount", 0).call());
        assertTrue(replicas.getMessage().contains("replicaCount"), replicas.getMessage());
        RuntimeException url = assertThrows(RuntimeException.class,
                () -> new Helm(CHART).template().set("database.url", "mysql://db/sluice").call());
        assertTrue(url.getMessage().contains("url"), url.getMessage());
        RuntimeException ratio = assertThrows(RuntimeException.class,
                () -> new Helm(CHART).template().set("prometheusRule.errorRatio", "five percent").call());
        assertTrue(ratio.getMessage().contains("errorRatio"), ratio.getMessage());
        RuntimeException label = assertThrows(RuntimeException.class,
                () -> new Helm(CHART).template().set("grafanaDashboard.labels.grafana_dashboard", 1).call());
        assertTrue(label.getMessage().contains("grafana_dashboard"), label.getMessage());
    }

    @Test
    void aSecretGivenAsPlainConfigIsRefused() {
        RuntimeException refused = assertThrows(RuntimeException.class,
                () -> new Helm(CHART).template().set("config.TUNNEL_SECRET", "legacy-tunnel").call());
        assertTrue(refused.getMessage().contains("config.TUNNEL_SECRET is a secret"), refused.getMessage());
    }

    @Test
    void stripePriceListsAreCheckedByTheSchema() {
        String rendered = new Helm(CHART).template().set("config.STRIPE_PRICE_PRO", "price_1SAFNk, price_2")
                .call();
        assertTrue(rendered.contains("STRIPE_PRICE_PRO: \"price_1SAFNk, price_2\""), rendered);
        RuntimeException refused = assertThrows(RuntimeException.class,
                () -> new Helm(CHART).template().set("config.STRIPE_PRICE_PRO", "price one; two").call());
        assertTrue(refused.getMessage().contains("STRIPE_PRICE_PRO"), refused.getMessage());
    }

    private static boolean optional(JsonNode container, String variable) {
        for (JsonNode env : container.at("/env")) {
            if (env.at("/name").asText().equals(variable)) {
                return env.at("/valueFrom/secretKeyRef/optional").asBoolean();
            }
        }
        throw new AssertionError(variable + " is not taken from a Secret");
    }

    private static String secretRef(JsonNode container, String variable) {
        for (JsonNode env : container.at("/env")) {
            if (env.at("/name").asText().equals(variable)) {
                assertEquals(variable, env.at("/valueFrom/secretKeyRef/key").asText());
                return env.at("/valueFrom/secretKeyRef/name").asText();
            }
        }
        throw new AssertionError(variable + " is not taken from a Secret");
    }

    /** The chart with its Grafana dashboard and its PrometheusRule switched on. */
    private static TemplateCommand withMonitoring(TemplateCommand template) {
        return template.set("grafanaDashboard.enabled", true).set("prometheusRule.enabled", true);
    }

    /** Every metric a dashboard panel or an alert queries, as written in the PromQL (ChartMetricsTest's list). */
    static Set<String> metricsQueriedByTheChart() throws Exception {
        List<JsonNode> objects = render(withMonitoring(new Helm(CHART).template()).call());
        List<String> expressions = new ArrayList<>();
        for (JsonNode panel : dashboard(objects).at("/panels")) {
            panel.at("/targets").forEach(target -> expressions.add(target.at("/expr").asText()));
        }
        alerts(only(objects, "PrometheusRule")).values().forEach(alert -> expressions.add(alert.at("/expr").asText()));
        Set<String> metrics = new TreeSet<>();
        for (String expression : expressions) {
            Matcher metric = METRIC.matcher(expression);
            while (metric.find()) {
                metrics.add(metric.group());
            }
        }
        return metrics;
    }

    /** The dashboard JSON the sidecar's ConfigMap carries. */
    private static JsonNode dashboard(List<JsonNode> objects) throws Exception {
        JsonNode configMap = objects.stream().filter(o -> o.at("/kind").asText().equals("ConfigMap"))
                .filter(o -> o.at("/data").has("sluice.json")).findFirst()
                .orElseThrow(() -> new AssertionError("no dashboard ConfigMap"));
        return new ObjectMapper().readTree(configMap.at("/data/sluice.json").asText());
    }

    /** A PrometheusRule's alerting rules by alert name, across its groups. */
    private static Map<String, JsonNode> alerts(JsonNode rule) {
        Map<String, JsonNode> alerts = new TreeMap<>();
        for (JsonNode group : rule.at("/spec/groups")) {
            for (JsonNode alert : group.at("/rules")) {
                assertNull(alerts.put(alert.at("/alert").asText(), alert), alert.at("/alert").asText());
            }
        }
        return alerts;
    }

    private static List<JsonNode> render(String manifests) throws Exception {
        List<JsonNode> objects = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = new YAMLMapper().readerFor(JsonNode.class).readValues(manifests)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc != null && doc.has("kind")) {
                    objects.add(doc);
                }
            }
        }
        return objects;
    }

    private static JsonNode named(List<JsonNode> objects, String kind, String name) {
        return objects.stream().filter(o -> o.at("/kind").asText().equals(kind))
                .filter(o -> o.at("/metadata/name").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    private static JsonNode port(JsonNode ports, String name) {
        for (JsonNode port : ports) {
            if (port.at("/name").asText().equals(name)) {
                return port;
            }
        }
        throw new AssertionError("no port " + name + " in " + ports);
    }

    private static Optional<JsonNode> find(List<JsonNode> objects, String kind) {
        return objects.stream().filter(o -> o.at("/kind").asText().equals(kind)).findFirst();
    }

    private static JsonNode only(List<JsonNode> objects, String kind) {
        assertEquals(1, objects.stream().filter(o -> o.at("/kind").asText().equals(kind)).count(), kind);
        JsonNode found = find(objects, kind).orElseThrow();
        assertNotNull(found);
        return found;
    }
}
