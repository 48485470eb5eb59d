package dev.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** LOG_FORMAT and OTEL_EXPORTER_OTLP_ENDPOINT as the Quarkus settings they stand for (OperationsIT runs the jar so). */
class TelemetrySwitchesTest {

    @Test
    void byDefaultLogsAreTextAndNoTraceLeaves() {
        TelemetrySwitches switches = new TelemetrySwitches(Map.of());
        assertEquals("false", switches.getValue("quarkus.log.console.json.enabled"));
        assertEquals("true", switches.getValue("quarkus.otel.sdk.disabled"));
        assertEquals("false", switches.getValue("quarkus.otel.instrument.vertx-http"));
        assertNull(switches.getValue("quarkus.otel.exporter.otlp.endpoint"));
    }

    @Test
    void jsonLogsAndAnEndpointTurnBothOn() {
        TelemetrySwitches switches = new TelemetrySwitches(Map.of("LOG_FORMAT", "json",
                "OTEL_EXPORTER_OTLP_ENDPOINT", " http://collector:4318 ", "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"));
        assertEquals("true", switches.getValue("quarkus.log.console.json.enabled"));
        assertEquals("false", switches.getValue("quarkus.otel.sdk.disabled"));
        assertEquals("true", switches.getValue("quarkus.otel.instrument.vertx-http"));
        assertEquals("http://collector:4318", switches.getValue("quarkus.otel.exporter.otlp.endpoint"));
        assertEquals("http/protobuf", switches.getValue("quarkus.otel.exporter.otlp.protocol"));
        assertTrue(switches.getOrdinal() < 250, "under application.properties");
    }

    @Test
    void anEmptyEndpointIsNoneAndAnUnknownFormatStopsStartUp() {
        assertEquals("true", new TelemetrySwitches(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", " "))
                .getValue("quarkus.otel.sdk.disabled"));
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> new TelemetrySwitches(Map.of("LOG_FORMAT", "xml")));
        assertEquals("LOG_FORMAT must be text or json; it is 'xml'.", refused.getMessage());
    }
}
