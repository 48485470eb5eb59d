package dev.sluice.usage;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.sluice.auth.Access;

/** Every account's usage with totals, for root. */
@Path("/admin/usage")
@Produces(MediaType.APPLICATION_JSON)
public class AllUsageResource {

    @Inject
    UsageService usage;

    @GET
    @Access(Access.Who.ROOT)
    public UsageViews.AllAccounts all() {
        return usage.all();
    }
}
