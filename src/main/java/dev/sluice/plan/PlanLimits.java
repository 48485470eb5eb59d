package dev.sluice.plan;

/** One row of the plan catalogue: what the server enforces. Null means unlimited; 0 in a meter, unmetered. */
public record PlanLimits(String id, String name, int rank, int tunnels, Integer passwordTunnels,
        int reservedSubdomains, int requestsPerMinute, int workers, Integer inactivityTimeoutSeconds,
        long bytesPer7d, long sessionSecondsPer24h) {
}
