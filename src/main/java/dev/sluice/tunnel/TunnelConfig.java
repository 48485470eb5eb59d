package dev.sluice.tunnel;

import java.time.Duration;

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

    /**
     * How long a name an account released, or last had open, stays that account's: its holder may take it back at
     * once, anyone else after this. Not negative.
     */
    @WithDefault("PT24H")
    Duration subdomainCooldown();
}
