package dev.sluice.notify;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/** How many pieces of work are in flight per key (an account, an endpoint) on this replica. */
final class InFlight<K> {

    private final Map<K, Integer> counts = new ConcurrentHashMap<>();

    /** Counts one more for {@code key} if it has fewer than {@code cap} in flight; whether it did. */
    boolean tryTake(K key, int cap) {
        boolean[] taken = { false };
        counts.compute(key, (k, n) -> {
            int now = n == null ? 0 : n;
            taken[0] = now < cap;
            return taken[0] ? now + 1 : n;
        });
        return taken[0];
    }

    /** Counts one more for {@code key}, whatever it has. */
    void take(K key) {
        counts.merge(key, 1, Integer::sum);
    }

    void release(K key) {
        counts.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
    }

    int count(K key) {
        return counts.getOrDefault(key, 0);
    }

    /** The keys with at least {@code n} in flight. */
    Set<K> atLeast(int n) {
        return counts.entrySet().stream().filter(e -> e.getValue() >= n).map(Map.Entry::getKey)
                .collect(Collectors.toSet());
    }
}
