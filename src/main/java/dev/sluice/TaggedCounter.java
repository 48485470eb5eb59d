package dev.sluice;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * A counter with one tag whose values are known, every one registered when it is made: Micrometer shows a tagged
 * series only once it exists, and dashboards and alerts must read 0 before the first event, not nothing. Tag values
 * are never an account's: no series per tenant.
 */
public final class TaggedCounter {

    private final String name;
    /**
     * Each series by its tag value, and also by the enum constant it is named after: a count on the lease path looks
     * its series up by the constant, making no string.
     */
    private final Map<Object, Counter> series;

    /** Series for the given tag values. */
    public TaggedCounter(MeterRegistry registry, String name, String description, String tag,
            Collection<String> values) {
        this(registry, name, description, tag, List.of(), values);
    }

    /** Series for the wire names of an enum's constants, and for the extra tag values given. */
    public <E extends Enum<E>> TaggedCounter(MeterRegistry registry, String name, String description, String tag,
            Class<E> constants, String... extra) {
        this(registry, name, description, tag, List.of(constants.getEnumConstants()), List.of(extra));
    }

    private TaggedCounter(MeterRegistry registry, String name, String description, String tag,
            List<? extends Enum<?>> constants, Collection<String> values) {
        this.name = name;
        Map<Object, Counter> made = new HashMap<>();
        for (Enum<?> constant : constants) {
            made.put(constant, Counter.builder(name).description(description).tag(tag, WireValues.wire(constant))
                    .register(registry));
        }
        for (String value : values) {
            made.put(value, Counter.builder(name).description(description).tag(tag, value).register(registry));
        }
        this.series = Map.copyOf(made);
    }

    public void increment(String value) {
        count(value, 1);
    }

    public void increment(Enum<?> constant) {
        count(constant, 1);
    }

    /** Adds an amount to a tag value's series; nothing for 0. */
    public void add(String value, double amount) {
        count(value, amount);
    }

    /** Adds an amount to an enum constant's series; nothing for 0. */
    public void add(Enum<?> constant, double amount) {
        count(constant, amount);
    }

    private void count(Object valueOrConstant, double amount) {
        if (amount <= 0) {
            return;
        }
        Counter counter = series.get(valueOrConstant);
        if (counter == null) {
            throw new IllegalArgumentException(name + " has no series " + valueOrConstant);
        }
        counter.increment(amount);
    }
}
