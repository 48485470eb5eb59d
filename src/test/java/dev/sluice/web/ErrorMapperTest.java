package dev.sluice.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.sql.SQLTransientConnectionException;
import java.util.List;
import java.util.Map;

import jakarta.ws.rs.WebApplicationException;

import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;
import org.postgresql.util.ServerErrorMessage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

/** The one mapper's translation of every kind of failure into the contract's answer, without a server. */
class ErrorMapperTest {

    record Probe(Long count) {
    }

    @Test
    void aSluiceExceptionIsAnsweredAsItIs() {
        SluiceException quota = new SluiceException(429, ErrorCode.QUOTA_EXCEEDED, "No credits remain.",
                Map.of("scope", "day"), Map.of("Retry-After", "7"));
        assertSame(quota, ErrorMapper.translate(quota));
    }

    @Test
    void badJsonIsA400NamingTheField() {
        ObjectMapper strict = new ObjectMapper();
        new StrictJson().customize(strict);
        UnrecognizedPropertyException unknown = org.junit.jupiter.api.Assertions.assertThrows(
                UnrecognizedPropertyException.class, () -> strict.readValue("{\"cuont\":1}", Probe.class));
        SluiceException error = ErrorMapper.translate(unknown);
        assertEquals(400, error.status());
        assertEquals(ErrorCode.VALIDATION_FAILED, error.code());
        assertEquals("cuont", error.extras().get("field"));
        SluiceException fraction = ErrorMapper.translate(org.junit.jupiter.api.Assertions.assertThrows(
                Exception.class, () -> strict.readValue("{\"count\":1.5}", Probe.class)));
        assertEquals("count", fraction.extras().get("field"));
    }

    @Test
    void aBrokenBodyAndFrameworkRefusalsAre4xx() {
        assertEquals(400, ErrorMapper.translate(new IOException("connection reset")).status());
        SluiceException notAllowed = ErrorMapper.translate(new WebApplicationException(405));
        assertEquals(405, notAllowed.status());
        assertEquals(ErrorCode.VALIDATION_FAILED, notAllowed.code());
        assertEquals(ErrorCode.UNAUTHORIZED, ErrorMapper.translate(new WebApplicationException(401)).code());
        assertEquals(ErrorCode.PAYLOAD_TOO_LARGE, ErrorMapper.translate(new WebApplicationException(413)).code());
    }

    @Test
    void aLostDatabaseIs503AndALostLockRaceIs503ToRetry() {
        SluiceException gone = ErrorMapper.translate(new IllegalStateException("settle_tunnels failed",
                new SQLTransientConnectionException("acquisition timeout")));
        assertEquals(503, gone.status());
        assertEquals(ErrorCode.UNAVAILABLE, gone.code());
        SluiceException deadlock = ErrorMapper.translate(new RuntimeException(
                new PSQLException("deadlock detected", PSQLState.DEADLOCK_DETECTED)));
        assertEquals(503, deadlock.status());
    }

    @Test
    void aLostUniqueRaceIsTheContracts409() {
        SluiceException subdomain = ErrorMapper.translate(new RuntimeException(new PSQLException(
                new ServerErrorMessage("SERROR\u0000C23505\u0000Mduplicate key\u0000ntunnel_open_subdomain\u0000"))));
        assertEquals(409, subdomain.status());
        assertEquals(ErrorCode.SUBDOMAIN_TAKEN, subdomain.code());
        SluiceException customer = ErrorMapper.translate(new RuntimeException(new PSQLException(
                new ServerErrorMessage("SERROR\u0000C23505\u0000Mduplicate key\u0000naccount_stripe_customer_id_key\u0000"))));
        assertEquals(ErrorCode.ACCOUNT_EXISTS, customer.code());
        assertEquals("stripeCustomerId", customer.extras().get("field"));
    }

    @Test
    void aValueTheDatabaseCannotStoreIsA400() {
        SluiceException nul = ErrorMapper.translate(new RuntimeException(new PSQLException(
                new ServerErrorMessage("SERROR\u0000C22021\u0000Minvalid byte sequence\u0000"))));
        assertEquals(400, nul.status());
        assertEquals(ErrorCode.VALIDATION_FAILED, nul.code());
    }

    @Test
    void anythingElseIsABare500WithNoClassNameOrTrace() {
        SluiceException internal = ErrorMapper.translate(new NullPointerException("secret detail"));
        assertEquals(500, internal.status());
        assertEquals(ErrorCode.INTERNAL, internal.code());
        assertFalse(internal.getMessage().contains("secret") || internal.getMessage().contains("Exception"));
    }

    @Test
    void theBodyCarriesCodeMessageExtrasAndTheRequestId() {
        SluiceException ceiling = new SluiceException(409, ErrorCode.GLOBAL_CEILING_EXCEEDED, "Over the ceiling.",
                Map.of("window", "day"), Map.of());
        Map<String, Object> body = ErrorMapper.body(ceiling, "req-1");
        assertEquals(List.of("code", "message", "window", "requestId"), List.copyOf(body.keySet()));
        assertEquals("req-1", body.get("requestId"));
        assertFalse(ErrorMapper.body(ceiling, null).containsKey("requestId"));
    }
}
