package dev.sluice.limit;

import java.math.BigDecimal;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Money, in USD: the price of a credit and the global ceilings on all accounts' limits. */
@ConfigMapping(prefix = "")
public interface LimitConfig {

    /** Dollars per credit; must be positive ({@link Credits}). */
    @WithDefault("0.000001")
    BigDecimal costPerOpUsd();

    /** Ceiling on the sum of all accounts' daily limits. */
    @WithDefault("1000")
    BigDecimal globalDayLimit();

    /** Ceiling on the sum of all accounts' monthly limits. */
    @WithDefault("10000")
    BigDecimal globalMonthLimit();
}
