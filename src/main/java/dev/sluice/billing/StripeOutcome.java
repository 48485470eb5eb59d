package dev.sluice.billing;

import java.util.Locale;

/**
 * What a Stripe event did, as the inbox records it and the webhook answers it: a {@link Kind}, and for a plan change
 * the plan it moved the account to ({@code plan_<id>}). Only outcomes that changed the account advance a
 * subscription's newest-applied mark, whichever plan it moved to.
 */
record StripeOutcome(Kind kind, String planId) {

    enum Kind {
        /** The account moved to {@code planId}. */
        PLAN(true),
        GRACE_STARTED(true),
        GRACE_CLEARED(true),
        /** Checkout linked the account to its customer. */
        LINKED(false),
        /** The event's id was received before. */
        DUPLICATE(false),
        /** No account is linked to the event's customer yet: the event is kept until one is. */
        UNKNOWN_CUSTOMER(false),
        /** Not the account's linked subscription, nor a newer live one of its customer. */
        OTHER_SUBSCRIPTION(false),
        /** Not newer than the newest event applied to the subscription. */
        STALE(false),
        UNKNOWN_PRICE(false),
        /** An invoice's credit prices became a paid grant (prepaid credit). */
        CREDIT_GRANTED(false),
        /** The invoice's grant exists already: another event of the same invoice. */
        CREDIT_REPLAYED(false),
        /** A credit note voided its share of the invoice's grant. */
        CREDIT_VOIDED(false),
        /** A credit note of an invoice that granted no credit (or whose grant has ended). */
        NO_TOP_UP(false),
        IGNORED_STATUS(false),
        IGNORED_TYPE(false),
        UNKNOWN_ACCOUNT(false),
        UNVERIFIED(false),
        NO_CUSTOMER(false),
        CONFLICT(false);

        final boolean changedAccount;

        Kind(boolean changedAccount) {
            this.changedAccount = changedAccount;
        }
    }

    static StripeOutcome of(Kind kind) {
        if (kind == Kind.PLAN) {
            throw new IllegalArgumentException("a plan change names its plan");
        }
        return new StripeOutcome(kind, null);
    }

    static StripeOutcome plan(String planId) {
        return new StripeOutcome(Kind.PLAN, planId);
    }

    boolean changedAccount() {
        return kind.changedAccount;
    }

    /** As the inbox stores it and the contract shows it: {@code plan_<id>}, else the kind in lower case. */
    String wire() {
        return kind == Kind.PLAN ? "plan_" + planId : kind.name().toLowerCase(Locale.ROOT);
    }
}
