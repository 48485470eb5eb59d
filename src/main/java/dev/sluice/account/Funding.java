package dev.sluice.account;

import dev.sluice.WireValues;
import dev.sluice.web.SluiceException;

/** How an account pays (contract §11): its limits alone, or its limits and what its grants hold. */
public enum Funding {
    POSTPAID,
    PREPAID;

    public String wire() {
        return WireValues.wire(this);
    }

    /** The funding a request names; 400 naming {@code funding} for anything else. */
    public static Funding of(String requested) {
        for (Funding funding : values()) {
            if (funding.wire().equals(requested)) {
                return funding;
            }
        }
        throw SluiceException.validation("funding", "'funding' must be \"postpaid\" or \"prepaid\".");
    }
}
