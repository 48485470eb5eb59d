package dev.sluice.money;

import java.time.Instant;

/**
 * What {@code charge_registration} decided: charged ({@code scope} null) or refused for the window {@code scope}
 * names, with the account's counters after it and the database's time, which the tunnel's timestamps use.
 */
public record RegistrationCharge(String scope, UsageLevel level, UsageWindows.Counters counters, Instant resetsAt,
        Instant decidedAt) {

    public boolean charged() {
        return scope == null;
    }
}
