package dev.sluice.budget;

import dev.sluice.WireValues;

/** What a budget does when its scope spends its limit: tell the owner only, or also refuse what would pass it. */
public enum BudgetAction {
    NOTIFY,
    BLOCK;

    public String wire() {
        return WireValues.wire(this);
    }

    /** The action a request names; 400 naming {@code action} for anything else, absence included. */
    static BudgetAction of(String requested) {
        return BudgetWindow.named(BudgetAction.class, "action", requested);
    }
}
