package dev.sluice.tunnel;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Tunnels: their addresses and how often reapers run (how long a silent one lives: money.SettlementConfig). */
@ConfigMapping(prefix = "")
public interface TunnelConfig {

    /** Tunnels get {@code https://<subdomain>.<tunnel-domain>}. */
    @WithDefault("tunnel.localhost")
    String tunnelDomain();

    /**
     * The period of the tunnel reaper and of the reconciler above this package; both read it in their
     * {@code @Scheduled} expression, which takes any scheduler period ({@code off} included), hence a string.
     */
    @WithDefault("30s")
    String reconcileEvery();
}
