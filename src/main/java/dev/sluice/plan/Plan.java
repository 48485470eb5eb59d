package dev.sluice.plan;

import java.util.Arrays;
import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The plans an account can be on; written and read as their lower-case ids. */
public enum Plan {
    FREE, STARTER, PRO;

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Rejects anything but an exact id, so an unknown plan is a 400 naming the field. */
    @JsonCreator
    public static Plan fromId(String id) {
        return Arrays.stream(values()).filter(p -> p.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown plan"));
    }
}
