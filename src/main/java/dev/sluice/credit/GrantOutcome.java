package dev.sluice.credit;

import dev.sluice.WireValues;

/** What {@code add_grant} or {@code void_grant} did, as their {@code outcome} column spells it. */
enum GrantOutcome {
    /** add_grant: a new grant. */
    CREATED,
    /** add_grant: the Idempotency-Key's (or the Stripe invoice's) grant, given again. */
    REPLAYED,
    /** add_grant: the Idempotency-Key was used for another grant. */
    CONFLICT,
    /** No such account (add_grant) or grant (void_grant). */
    NOT_FOUND,
    /** void_grant: voided, wholly or its share. */
    OK,
    /** void_grant: it was voided or has expired already. */
    VOIDED;

    static GrantOutcome of(String column) {
        return WireValues.of(GrantOutcome.class, column);
    }
}
