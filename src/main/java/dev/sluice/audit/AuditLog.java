package dev.sluice.audit;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.sluice.PastRetention;
import dev.sluice.UtcNow;
import dev.sluice.web.Pages;
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

    /** One entry as {@code GET /admin/audit} shows it. */
    // The API calls it Actor, as it was before the records moved here beside AuditLog.Actor.
    @Schema(name = "Actor")
    public record EntryActor(String kind, String tokenId) {
    }

    public record Entry(long id, Instant at, EntryActor actor, String action, String account, String target,
            String outcome, String requestId, String detail) {
    }

    // Another record has this simple name; its own schema name spares generated clients a numbered one.
    @Schema(name = "AuditPage")
    public record Page(List<Entry> entries, String nextCursor) {
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public void append(Actor actor, String action, String accountSlug, String target, String outcome, String detail) {
        AuditEntry entry = new AuditEntry();
        entry.accountId = accountIdOf(accountSlug);
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

    /** The slug's account, 0 for none (a refused request may name an account that does not exist). */
    private static long accountIdOf(String slug) {
        if (slug == null) {
            return 0;
        }
        List<?> ids = AuditEntry.getEntityManager()
                .createNativeQuery("select account_id from account_slug where slug = :slug")
                .setParameter("slug", slug).getResultList();
        return ids.isEmpty() ? 0 : ((Number) ids.get(0)).longValue();
    }

    /**
     * Deletes at most {@code batch} of the account's entries recorded more than {@code keep} ago by the database's
     * clock (account 0: root's and those naming no account), in one short transaction ({@code AUDIT_RETENTION}).
     */
    @Transactional
    public int purge(long accountId, Duration keep, int batch) {
        return PastRetention.purge(AuditEntry.getEntityManager(), accountId, "audit_entry", keep, batch);
    }

    /** Entries of one account (or all, {@code account} null), newest first, before the entry {@code before}. */
    public Page page(String account, int size, long before) {
        List<AuditEntry> rows = account == null
                ? AuditEntry.find("entryId < ?1 order by entryId desc", before).page(0, size + 1).list()
                : AuditEntry.find("accountSlug = ?1 and entryId < ?2 order by entryId desc", account, before)
                        .page(0, size + 1).list();
        String next = rows.size() > size ? Pages.cursor(rows.get(size - 1).entryId) : null;
        return new Page(rows.stream().limit(size).map(e -> new Entry(e.entryId, e.at,
                new EntryActor(e.actorKind, e.actorId), e.action, e.accountSlug, e.target, e.outcome, e.requestId,
                e.detail)).toList(), next);
    }
}
