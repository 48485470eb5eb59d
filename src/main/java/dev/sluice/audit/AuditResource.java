package dev.sluice.audit;


import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import dev.sluice.auth.Access;
import dev.sluice.auth.Caller;
import dev.sluice.auth.Principal;
import dev.sluice.auth.Slugs;
import dev.sluice.web.Pages;
import dev.sluice.web.QueryParams;
import dev.sluice.web.SluiceException;

/** {@code GET /admin/audit}: root reads everything, a service token only its own account's entries. */
@Path("/admin/audit")
@Produces(MediaType.APPLICATION_JSON)
public class AuditResource {

    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1000;

    @Inject
    Caller caller;
    @Inject
    AuditLog log;

    @GET
    @Access(Access.Who.ROOT_OR_SERVICE)
    public AuditLog.Page list(@QueryParam("account") String account, @QueryParam("limit") String limit,
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
            Slugs.require(scope, "slug");
        }
        return log.page(scope, Pages.size(QueryParams.integer("limit", limit), DEFAULT_PAGE, MAX_PAGE),
                cursor == null ? Long.MAX_VALUE : Pages.key(cursor));
    }
}
