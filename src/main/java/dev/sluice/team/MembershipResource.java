package dev.sluice.team;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.sluice.auth.Access;
import dev.sluice.auth.Caller;

/** The member's side of a team: which owners the caller's account may read, for choosing an {@code X-Account}. */
@Path("/v1/memberships")
@Produces(MediaType.APPLICATION_JSON)
public class MembershipResource {

    @Inject
    Caller caller;
    @Inject
    MemberService members;

    @GET
    @Access(Access.Who.ACCOUNT_TOKEN)
    public MemberService.MembershipList list() {
        return members.memberships(caller.principal().accountId());
    }
}
