package dev.sluice.usage;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import dev.sluice.auth.Access;
import dev.sluice.auth.Caller;
import dev.sluice.auth.Principal;
import dev.sluice.team.MemberService;
import dev.sluice.web.QueryParams;
import dev.sluice.web.SluiceException;

/** An account's own usage, read with any of its tokens, or an owner's with {@code X-Account} as a team member. */
@Path("/v1/usage")
@Produces(MediaType.APPLICATION_JSON)
public class UsageResource {

    @Inject
    Caller caller;
    @Inject
    UsageService usage;
    @Inject
    MemberService members;

    @GET
    @Access(Access.Who.ACCOUNT_TOKEN)
    public UsageViews.View view(@HeaderParam("X-Account") String account, @QueryParam("token") String token) {
        if (token != null) {
            // One token's share of its own account, for the account's owner.
            if (caller.principal().kind() != Principal.Kind.SERVICE || account != null) {
                throw SluiceException.forbidden("Only the account's service token reads one token's usage.");
            }
            return usage.ofToken(caller.principal().accountId(), token);
        }
        return usage.of(members.readableAccount(caller.principal(), account));
    }

    @GET
    @Path("/series")
    @Access(Access.Who.ACCOUNT_TOKEN)
    public UsageViews.Series series(@HeaderParam("X-Account") String account, @QueryParam("days") String days,
            @QueryParam("by") String by) {
        return usage.series(members.readableAccount(caller.principal(), account), QueryParams.integer("days", days),
                by);
    }
}
