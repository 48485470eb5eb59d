package dev.sluice.audit;

import java.time.Instant;
import java.util.List;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.sluice.account.Accounts;
import dev.sluice.auth.Access;
import dev.sluice.auth.Caller;
import dev.sluice.auth.Principal;
import dev.sluice.web.QueryParams;
import dev.sluice.web.SluiceException;

/** {@code GET /admin/audit}: root reads everything, a service token only its own account's entries. */
@Path("/admin/audit")
@Produces(MediaType.APPLICATION_JSON)
public class AuditResource {

    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1000;

    public record Actor(String kind, String tokenId) {
    }

    public record Entry(long id, Instant at, Actor actor, String action, String account, String target,
            String outcome, String requestId, String detail) {
    }

    // Another record has this simple name; its own schema name spares generated clients a numbered one.
    @Schema(name = "AuditPage")
    public record Page(List<Entry> entries, String nextCursor) {
    }

    @Inject
    Caller caller;

    @GET
    @Access(Access.Who.ROOT_OR_SERVICE)
    public Page list(@QueryParam("account") String account, @QueryParam("limit") String limit,
            @QueryParam("cursor") String cursor) {
        Principal principal = caller.principal();
        String scope = account;
        if (!principal.isRoot()) {
            if (account != null && !account.equals(principal.slug())) {
                throw SluiceException.forbidden("A service token reads only its own account's audit log.");
            }
            scope = principal.slug();
        }
        if (scope != null) {
            Accounts.validSlug(scope);
        }
        Integer size = QueryParams.integer("limit", limit);
        int pageSize = size == null ? DEFAULT_PAGE : size;
        if (pageSize < 1 || pageSize > MAX_PAGE) {
            throw SluiceException.validation("limit", "'limit' must be between 1 and " + MAX_PAGE + ".");
        }
        long before = cursor == null ? Long.MAX_VALUE : cursorValue(cursor);
        List<AuditEntry> rows = scope == null
                ? AuditEntry.find("entryId < ?1 order by entryId desc", before).page(0, pageSize + 1).list()
                : AuditEntry.find("accountSlug = ?1 and entryId < ?2 order by entryId desc", scope, before)
                        .page(0, pageSize + 1).list();
        String next = rows.size() > pageSize ? Long.toString(rows.get(pageSize - 1).entryId) : null;
        return new Page(rows.stream().limit(pageSize).map(AuditResource::entry).toList(), next);
    }

    private static Entry entry(AuditEntry e) {
        return new Entry(e.entryId, e.at, new Actor(e.actorKind, e.actorId), e.action, e.accountSlug, e.target,
                e.outcome, e.requestId, e.detail);
    }

    private static long cursorValue(String cursor) {
        try {
            return Long.parseLong(cursor);
        } catch (NumberFormatException e) {
            throw SluiceException.validation("cursor", "'cursor' is not a cursor this service returned.");
        }
    }
}
