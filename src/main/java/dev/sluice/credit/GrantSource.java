package dev.sluice.credit;

import dev.sluice.WireValues;

/** Who made a grant: root through the API, or a paid Stripe invoice. */
enum GrantSource {
    ROOT,
    STRIPE;

    String wire() {
        return WireValues.wire(this);
    }
}
