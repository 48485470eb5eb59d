package dev.sluice;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** The current instant at PostgreSQL's precision, so what a response shows equals what is stored. */
public final class UtcNow {

    private UtcNow() {
    }

    public static Instant get() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }
}
