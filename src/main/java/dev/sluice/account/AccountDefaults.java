package dev.sluice.account;

import java.math.BigDecimal;
import java.util.Optional;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Sign-up and internal-account defaults from §8, in dollars as configured. A singleton (no client proxy), so its fields can be read directly. */
@Singleton
public class AccountDefaults {

    @ConfigProperty(name = "signup-day-limit", defaultValue = "1")
    BigDecimal signupDayUsd;
    @ConfigProperty(name = "signup-month-limit", defaultValue = "10")
    BigDecimal signupMonthUsd;
    @ConfigProperty(name = "default-concurrent", defaultValue = "100")
    int concurrentMax;
    @ConfigProperty(name = "default-lease-chunk", defaultValue = "50")
    long leaseChunk;
    @ConfigProperty(name = "internal-account", defaultValue = "internal")
    String internalSlug;
    @ConfigProperty(name = "internal-day-limit", defaultValue = "10")
    BigDecimal internalDayUsd;
    @ConfigProperty(name = "internal-month-limit", defaultValue = "100")
    BigDecimal internalMonthUsd;
    @ConfigProperty(name = "internal-concurrent")
    Optional<Integer> internalConcurrent;
}
