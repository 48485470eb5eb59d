package dev.sluice.retention;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** How long each kind of record is kept (contract §13), and how the purge runs. */
@ConfigMapping(prefix = "")
public interface RetentionConfig {

    /**
     * A closed tunnel is deleted this long after it closed (its totals live on in the daily usage rows); never sooner
     * than {@code SUBDOMAIN_COOLDOWN}, {@code TUNNEL_STALE_AFTER} and an Idempotency-Key's 24 hours, whose rules read
     * closed tunnels.
     */
    @WithDefault("P90D")
    Duration tunnelRetention();

    /** Webhook events, their deliveries and attempts, this long after the event, once none is pending. */
    @WithDefault("P30D")
    Duration webhookDeliveryRetention();

    /** Stripe events this long after receipt; one still waiting for its customer's account is kept. */
    @WithDefault("P400D")
    Duration stripeEventRetention();

    /** Audit entries this long after they were recorded; unset, they are kept. */
    Optional<Duration> auditRetention();

    /** The purge's period, a scheduler period ({@code off} turns it off). */
    @WithDefault("10m")
    String retentionEvery();

    /** Rows one purge statement deletes at most: each is a short transaction of its own. */
    @WithDefault("500")
    int retentionBatch();

    /**
     * The pause after a purge statement that deleted a full batch, before the next: deleting is work for the database's
     * CPU and disk, which the data plane shares, so a large purge proceeds at a pace instead of all at once.
     */
    @WithDefault("PT0.1S")
    Duration retentionPause();
}
