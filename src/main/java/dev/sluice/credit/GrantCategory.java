package dev.sluice.credit;

import java.util.Locale;

import dev.sluice.WireValues;
import dev.sluice.web.SluiceException;

/** What a grant is: bought, or given. Promotional credit is drawn before paid credit of the same rank. */
public enum GrantCategory {
    PAID,
    PROMOTIONAL;

    public String wire() {
        return WireValues.wire(this);
    }

    /** The category a request names; 400 naming {@code category} for anything else, absence included. */
    static GrantCategory of(String requested) {
        for (GrantCategory category : values()) {
            if (category.wire().equals(requested)) {
                return category;
            }
        }
        throw SluiceException.validation("category", "'category' must be \"paid\" or \"promotional\""
                + (requested == null ? "." : ", not \"" + requested.toLowerCase(Locale.ROOT) + "\"."));
    }
}
