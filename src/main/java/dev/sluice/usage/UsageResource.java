package dev.sluice.usage;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.sluice.auth.Access;
import dev.sluice.auth.Caller;

/** An account's own usage, read with any of its tokens. */
@Path("/v1/usage")
@Produces(MediaType.APPLICATION_JSON)
public class UsageResource {

    @Inject
    Caller caller;
    @Inject
    UsageService usage;

    @GET
    @Access(Access.Who.ACCOUNT_TOKEN)
    public UsageViews.View own() {
        return usage.of(caller.principal().accountId());
    }
}
