package dev.sluice.team;

import java.util.Map;

import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.ResponseStatus;

import dev.sluice.audit.Audited;
import dev.sluice.auth.Access;
import dev.sluice.web.Bodies;

/** The owner's team: member accounts that may read its usage. */
@Path("/admin/accounts/{slug}/members")
@Produces(MediaType.APPLICATION_JSON)
public class MemberResource {

    public record AddRequest(String member, String role) {
    }

    @Inject
    MemberService members;

    @POST
    @ResponseStatus(201)
    @Audited("member.add")
    @Access(Access.Who.MANAGER)
    public MemberService.Member add(@PathParam("slug") String slug, @Valid AddRequest request) {
        AddRequest body = Bodies.require(request);
        return members.add(slug, body.member(), body.role());
    }

    @GET
    @Access(Access.Who.MANAGER)
    public MemberService.MemberList list(@PathParam("slug") String slug) {
        return members.list(slug);
    }

    @DELETE
    @Path("/{member}")
    @Audited("member.remove")
    @Access(Access.Who.MANAGER)
    public Map<String, Object> remove(@PathParam("slug") String slug, @PathParam("member") String member) {
        return members.remove(slug, member);
    }
}
