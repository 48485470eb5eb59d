package dev.sluice.notify;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Webhook targets and the outbox sender. */
@ConfigMapping(prefix = "")
public interface WebhookConfig {

    /** Whether targets on private or loopback addresses are allowed. */
    @WithDefault("false")
    boolean webhookAllowPrivate();

    /** How often the outbox is polled; read by the sender's {@code @Scheduled} expression, hence a string. */
    @WithDefault("1s")
    String webhookPollEvery();

    /**
     * One deadline per delivery, from connecting to the end of the answer (a receiver that stalls cannot hold it
     * longer).
     */
    @WithDefault("10s")
    Duration webhookTimeout();
}
