package dev.sluice.money;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import dev.sluice.web.SluiceException;

/**
 * What {@code charge_registration} decided: charged ({@code scope} null) or refused for what {@code scope} names (a
 * budget's: {@code budgetId}), with the account's counters after it, what the tightest blocking budget of the token
 * leaves (null: none) and the database's time, which the tunnel's timestamps use.
 */
public record RegistrationCharge(String scope, UsageLevel level, UsageWindows.Counters counters, Instant resetsAt,
        Instant decidedAt, UUID budgetId, Long budgetRemaining) {

    public boolean charged() {
        return scope == null;
    }

    public SluiceException quotaExceeded() {
        return counters.quotaExceeded(scope, resetsAt, decidedAt, budgetId, budgetRemaining);
    }

    public Map<String, String> headers() {
        return counters.headers(decidedAt, budgetRemaining);
    }
}
