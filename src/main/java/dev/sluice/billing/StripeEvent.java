package dev.sluice.billing;

import com.fasterxml.jackson.databind.JsonNode;

/** One Stripe event as Sluice reads it: its id, type, {@code created} (epoch seconds) and {@code data.object}. */
record StripeEvent(String id, String type, long created, JsonNode object) {

    static final String CHECKOUT = "checkout.session.completed";
    /** The two kinds whose order is tracked separately: subscription events and invoice events. */
    static final String SUBSCRIPTION = "subscription";
    static final String INVOICE = "invoice";
    static final String CREDIT_NOTE = "credit_note";

    static StripeEvent of(JsonNode event) {
        return new StripeEvent(event.path("id").asText(""), event.path("type").asText(""),
                event.path("created").asLong(), event.path("data").path("object"));
    }

    boolean isCheckout() {
        return type.equals(CHECKOUT);
    }

    /**
     * {@code subscription}, {@code invoice}, {@code credit_note} (a top-up's refund), or null for a type that is
     * not about an account's billing.
     */
    String kind() {
        if (type.startsWith("customer.subscription.")) {
            return SUBSCRIPTION;
        }
        if (type.startsWith("invoice.")) {
            return INVOICE;
        }
        return type.startsWith("credit_note.") ? CREDIT_NOTE : null;
    }

    String customer() {
        return idOf(object.path("customer"));
    }

    /** The subscription the event is about: the object itself, or (sessions, invoices) the one it names. */
    String subscription() {
        if (SUBSCRIPTION.equals(kind())) {
            return object.path("id").asText(null);
        }
        String direct = idOf(object.path("subscription"));
        return direct != null ? direct
                : idOf(object.path("parent").path("subscription_details").path("subscription"));
    }

    /** Stripe sends an id, or an expanded object carrying one. */
    private static String idOf(JsonNode field) {
        if (field.isTextual()) {
            return field.asText();
        }
        return field.isObject() ? field.path("id").asText(null) : null;
    }
}
