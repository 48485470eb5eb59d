package dev.sluice.account;

import java.math.BigDecimal;
import java.util.Optional;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Sign-up and internal-account defaults, in dollars as configured. A singleton (no client proxy), so its
 * fields can be read directly. */
@Singleton
public class AccountDefaults {

    @ConfigProperty(name = "signup-day-limit", defaultValue = "1")
    public BigDecimal signupDayUsd;
    @ConfigProperty(name = "signup-month-limit", defaultValue = "10")
    public BigDecimal signupMonthUsd;
    @ConfigProperty(name = "default-concurrent", defaultValue = "100")
    public int concurrentMax;
    @ConfigProperty(name = "default-lease-chunk", defaultValue = "50")
    public long leaseChunk;
    @ConfigProperty(name = "internal-account", defaultValue = "internal")
    public String internalSlug;
    @ConfigProperty(name = "internal-day-limit", defaultValue = "10")
    public BigDecimal internalDayUsd;
    @ConfigProperty(name = "internal-month-limit", defaultValue = "100")
    public BigDecimal internalMonthUsd;
    @ConfigProperty(name = "internal-concurrent")
    public Optional<Integer> internalConcurrent;
}
