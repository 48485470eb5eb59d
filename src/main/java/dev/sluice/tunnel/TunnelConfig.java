package dev.sluice.tunnel;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Tunnels: their addresses, how long a silent one lives, how long a lease waits, how often reapers run. */
@ConfigMapping(prefix = "")
public interface TunnelConfig {

    /** Tunnels get {@code https://<subdomain>.<tunnel-domain>}. */
    @WithDefault("tunnel.localhost")
    String tunnelDomain();

    /** A tunnel whose relay has not called for this long is closed as {@code stale}; late reports within it count. */
    @WithDefault("PT10M")
    Duration tunnelStaleAfter();

    /** How long a lease or close waits for its account's batch before it is withdrawn and answered 503. */
    @WithDefault("PT5S")
    Duration leaseWait();

    /**
     * The period of the tunnel reaper and of the reconciler above this package; both read it in their
     * {@code @Scheduled} expression, which takes any scheduler period ({@code off} included), hence a string.
     */
    @WithDefault("30s")
    String reconcileEvery();
}
