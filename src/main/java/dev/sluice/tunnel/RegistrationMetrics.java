package dev.sluice.tunnel;

import java.util.concurrent.CompletionException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sluice.TaggedCounter;
import dev.sluice.web.SluiceException;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;

/** Registrations by outcome ({@code sluice_registrations_total}), every outcome registered at start-up. */
@Startup
@ApplicationScoped
public class RegistrationMetrics {

    enum Outcome {
        /** 201, a replayed one included. */
        REGISTERED,
        /** 429: a window, the balance or a budget has no room. */
        QUOTA,
        /** Any other 4xx: a cap, a subdomain, a suspended account, a dead token, bad input. */
        REFUSED,
        /** 503 or a failure: nothing was registered. */
        UNAVAILABLE
    }

    private final TaggedCounter registrations;

    @Inject
    RegistrationMetrics(MeterRegistry registry) {
        registrations = new TaggedCounter(registry, "sluice.registrations", "Tunnel registrations by outcome",
                "outcome", Outcome.class);
    }

    void answered(Throwable failure) {
        registrations.increment(outcome(failure));
    }

    private static Outcome outcome(Throwable failure) {
        Throwable cause = failure instanceof CompletionException wrapped && wrapped.getCause() != null
                ? wrapped.getCause() : failure;
        if (cause == null) {
            return Outcome.REGISTERED;
        }
        if (cause instanceof SluiceException refusal && refusal.status() < 500) {
            return refusal.status() == 429 ? Outcome.QUOTA : Outcome.REFUSED;
        }
        return Outcome.UNAVAILABLE;
    }
}
