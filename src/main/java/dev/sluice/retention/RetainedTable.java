package dev.sluice.retention;

/** The tables the purge deletes from, as the {@code sluice_retention_purged_total} metric names them. */
public enum RetainedTable {
    TUNNEL, WEBHOOK_EVENT, WEBHOOK_DELIVERY, WEBHOOK_ATTEMPT, STRIPE_EVENT, SUBDOMAIN_CLAIM, SUBDOMAIN_RELEASE,
    AUDIT_ENTRY, IDEMPOTENCY_KEY
}
