package dev.sluice.account;

import java.math.BigDecimal;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/** What a new account and the internal account start with; limits in USD. */
@ConfigMapping(prefix = "")
public interface AccountConfig {

    @WithName("signup-day-limit")
    @WithDefault("1")
    BigDecimal signupDayUsd();

    @WithName("signup-month-limit")
    @WithDefault("10")
    BigDecimal signupMonthUsd();

    /** {@code concurrentMax} of a new account. */
    @WithName("default-concurrent")
    @WithDefault("100")
    int concurrentMax();

    /** {@code leaseChunk} of a new account. */
    @WithName("default-lease-chunk")
    @WithDefault("50")
    long leaseChunk();

    /** The internal account's slug. */
    @WithName("internal-account")
    @WithDefault("internal")
    String internalSlug();

    @WithName("internal-day-limit")
    @WithDefault("10")
    BigDecimal internalDayUsd();

    @WithName("internal-month-limit")
    @WithDefault("100")
    BigDecimal internalMonthUsd();

    /**
     * The operator's names (comma-separated): nobody's subdomain, and no new account's slug. An empty value keeps
     * the default.
     */
    @WithName("reserved-subdomains")
    @WithDefault("www,api,admin,app,console,dashboard,status,docs,help,support,billing,auth,login,mail,static,cdn")
    String operatorNames();

    /** The internal account's {@code concurrentMax}; {@link #concurrentMax()} when not set. */
    @WithName("internal-concurrent")
    Optional<Integer> internalConcurrent();
}
