package dev.sluice.auth;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sluice.TaggedCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;

/** Failed authentications by reason ({@code sluice_auth_failures_total}), every reason registered at start-up. */
@Startup
@ApplicationScoped
public class AuthMetrics {

    enum Reason {
        /** No {@code Authorization: Bearer} header, or one with control characters. */
        MISSING,
        /** Not a token's shape, or its checksum is wrong: refused without a lookup. */
        MALFORMED,
        /** Well-formed, but no such token (a wrong root token too): a guess, counted against the address. */
        UNKNOWN,
        /** A revoked or expired token (its reports may still be accepted, for its own tunnels). */
        DEAD,
        /** Refused before any lookup: the address guessed too much ({@code AUTH_FAILURE_LIMIT}, 429). */
        LIMITED
    }

    private final TaggedCounter failures;

    @Inject
    AuthMetrics(MeterRegistry registry) {
        failures = new TaggedCounter(registry, "sluice.auth.failures", "Failed authentications by reason", "reason",
                Reason.class);
    }

    void failed(Reason reason) {
        failures.increment(reason);
    }
}
