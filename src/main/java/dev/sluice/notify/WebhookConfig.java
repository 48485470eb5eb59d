package dev.sluice.notify;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Webhook targets and the outbox sender. */
@ConfigMapping(prefix = "")
public interface WebhookConfig {

    /** Whether targets on private or loopback addresses are allowed. */
    @WithDefault("false")
    boolean webhookAllowPrivate();

    /**
     * How long resolving a target's host may take, when a webhook is created and before each delivery; must be
     * positive ({@link HostResolver}).
     */
    @WithDefault("PT2S")
    Duration webhookResolveTimeout();

    /**
     * The nameservers webhook hosts are resolved with, {@code address[:port]} (port 53 by default); without them,
     * those of {@code /etc/resolv.conf}.
     */
    Optional<List<String>> webhookNameservers();

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
