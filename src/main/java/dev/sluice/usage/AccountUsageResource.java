package dev.sluice.usage;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import dev.sluice.account.Accounts;
import dev.sluice.auth.Access;

/** One account's usage by slug ({@code svc*}). */
@Path("/admin/accounts/{slug}/usage")
@Produces(MediaType.APPLICATION_JSON)
public class AccountUsageResource {

    @Inject
    UsageService usage;

    @GET
    @Access(Access.Who.MANAGER)
    public UsageViews.View ofAccount(@PathParam("slug") String slug, @QueryParam("token") String token) {
        long accountId = Accounts.require(slug).accountId();
        return token == null ? usage.of(accountId) : usage.ofToken(accountId, token);
    }
}
