package dev.sluice;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * The operator's two telemetry switches (docs/operations.md) as the Quarkus settings they stand for: {@code LOG_FORMAT}
 * ({@code text}, the default, or {@code json}: one JSON object per log line) and the OpenTelemetry standard
 * {@code OTEL_EXPORTER_OTLP_ENDPOINT} (traces are exported there when it is set, over
 * {@code OTEL_EXPORTER_OTLP_PROTOCOL} if given; without it the SDK is off, so nothing tries to reach a collector that
 * is not there). Below application.properties and the environment in
 * precedence, so a {@code QUARKUS_*} variable still overrides either. Registered in META-INF/services.
 */
public class TelemetrySwitches implements ConfigSource {

    static final String LOG_FORMAT = "LOG_FORMAT";
    static final String OTLP_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT";
    static final String OTLP_PROTOCOL = "OTEL_EXPORTER_OTLP_PROTOCOL";

    private final Map<String, String> properties;

    public TelemetrySwitches() {
        this(System.getenv());
    }

    TelemetrySwitches(Map<String, String> environment) {
        Map<String, String> switches = new HashMap<>();
        String format = environment.getOrDefault(LOG_FORMAT, "text");
        if (!format.equals("text") && !format.equals("json")) {
            throw new IllegalArgumentException(LOG_FORMAT + " must be text or json; it is '" + format + "'.");
        }
        switches.put("quarkus.log.console.json.enabled", String.valueOf(format.equals("json")));
        String endpoint = environment.get(OTLP_ENDPOINT);
        boolean tracing = endpoint != null && !endpoint.isBlank();
        switches.put("quarkus.otel.sdk.disabled", String.valueOf(!tracing));
        // Without a collector the per-request instrumentation would only cost time: every request pays for it.
        switches.put("quarkus.otel.instrument.vertx-http", String.valueOf(tracing));
        switches.put("quarkus.otel.instrument.vertx-event-bus", String.valueOf(tracing));
        if (tracing) {
            switches.put("quarkus.otel.exporter.otlp.endpoint", endpoint.strip());
            // grpc (Quarkus's default) or http/protobuf, as the standard variable names them.
            String protocol = environment.get(OTLP_PROTOCOL);
            if (protocol != null && !protocol.isBlank()) {
                switches.put("quarkus.otel.exporter.otlp.protocol", protocol.strip());
            }
        }
        this.properties = Map.copyOf(switches);
    }

    @Override
    public Map<String, String> getProperties() {
        return properties;
    }

    @Override
    public Set<String> getPropertyNames() {
        return properties.keySet();
    }

    @Override
    public String getValue(String propertyName) {
        return properties.get(propertyName);
    }

    @Override
    public String getName() {
        return "sluice-telemetry-switches";
    }

    /** Under application.properties (250) and the environment (300). */
    @Override
    public int getOrdinal() {
        return 200;
    }
}
