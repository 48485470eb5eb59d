package dev.sluice.money;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Settlement's clocks: how long a silent tunnel lives and its late reports count, how long a call waits its turn. */
@ConfigMapping(prefix = "")
public interface SettlementConfig {

    /** A tunnel whose relay has not called for this long is closed as {@code stale}; late reports within it count. */
    @WithDefault("PT10M")
    Duration tunnelStaleAfter();

    /** How long a lease, close or other call in an account's turn waits for it before it is answered 503. */
    @WithDefault("PT5S")
    Duration leaseWait();
}
