package dev.sluice;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * A counter with one tag whose values are known, every one registered when it is made: Micrometer shows a tagged
 * series only once it exists, and dashboards and alerts must read 0 before the first event, not nothing. Tag values
 * are never an account's: no series per tenant.
 */
public final class TaggedCounter {

    private final String name;
    private final Map<String, Counter> counters;

    public TaggedCounter(MeterRegistry registry, String name, String description, String tag,
            Collection<String> values) {
        this.name = name;
        this.counters = values.stream().distinct().collect(Collectors.toUnmodifiableMap(Function.identity(),
                value -> Counter.builder(name).description(description).tag(tag, value).register(registry)));
    }

    /** The wire names of an enum's constants, as tag values. */
    public static <E extends Enum<E>> List<String> values(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(WireValues::wire).toList();
    }

    public void increment(String value) {
        add(value, 1);
    }

    public void add(String value, double amount) {
        Counter counter = counters.get(value);
        if (counter == null) {
            throw new IllegalArgumentException(name + " has no series " + value);
        }
        if (amount > 0) {
            counter.increment(amount);
        }
    }
}
