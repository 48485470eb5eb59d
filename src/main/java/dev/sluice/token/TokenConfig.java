package dev.sluice.token;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Token lookups. */
@ConfigMapping(prefix = "")
public interface TokenConfig {

    /** How long a live token's lookup is remembered; at most a second ({@link TokenCache}). */
    @WithDefault("PT0.5S")
    Duration tokenCacheTtl();
}
