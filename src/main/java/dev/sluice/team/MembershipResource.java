package dev.sluice.team;

import java.util.List;

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

    /** Any token (contract §6); root belongs to no account, so its list is empty. */
    @GET
    @Access(Access.Who.ANY_TOKEN)
    public MemberService.MembershipList list() {
        Long accountId = caller.principal().accountId();
        return accountId == null ? new MemberService.MembershipList(List.of()) : members.memberships(accountId);
    }
}
