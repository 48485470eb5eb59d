package dev.sluice.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;

/** Lints and renders helm/sluice with the Helm library helm-java bundles, and checks what matters. */
class HelmChartTest {

    static final Path CHART = Path.of("helm/sluice");
    static final Path PRODUCTION = Path.of("src/test/resources/helm-production-values.yaml");

    @Test
    void theChartLintsClean() {
        LintResult lint = new Helm(CHART).lint().strict().call();
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
    void theSchemaRefusesBadValues() {
        RuntimeException replicas = assertThrows(RuntimeException.class,
                () -> new Helm(CHART).template().set("replicaCount", 0).call());
        assertTrue(replicas.getMessage().contains("replicaCount"), replicas.getMessage());
        RuntimeException url = assertThrows(RuntimeException.class,
                () -> new Helm(CHART).template().set("database.url", "mysql://db/sluice").call());
        assertTrue(url.getMessage().contains("url"), url.getMessage());
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
