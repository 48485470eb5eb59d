package dev.sluice.audit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import dev.sluice.UtcNow;
import dev.sluice.web.RequestIds;

/** Appends audit entries; system actors ({@code stripe}, {@code reconciler}) call it directly. */
@ApplicationScoped
public class AuditLog {

    public static final String OK = "ok";
    /** The scheduled work: reconciler and reapers. */
    public static final Actor RECONCILER = new Actor("system", "reconciler");
    /** Stripe's webhook. */
    public static final Actor STRIPE = new Actor("system", "stripe");

    /** Who acted: {@code kind} is root, service, api or system; {@code id} the token id or system name. */
    public record Actor(String kind, String id) {
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public void append(Actor actor, String action, String accountSlug, String target, String outcome, String detail) {
        AuditEntry entry = new AuditEntry();
        entry.at = UtcNow.get();
        entry.actorKind = actor.kind();
        entry.actorId = actor.id();
        entry.action = action;
        entry.accountSlug = accountSlug;
        entry.target = target;
        entry.outcome = outcome;
        entry.requestId = RequestIds.current();
        entry.detail = detail;
        entry.persist();
    }
}
