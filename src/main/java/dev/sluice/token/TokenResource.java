package dev.sluice.token;

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
import dev.sluice.auth.Caller;
import dev.sluice.web.Bodies;

@Path("/admin/accounts/{slug}/tokens")
@Produces(MediaType.APPLICATION_JSON)
public class TokenResource {

    @Inject
    Caller caller;
    @Inject
    TokenService tokens;

    @POST
    @ResponseStatus(201)
    @Audited("token.create")
    @Access(Access.Who.MANAGER)
    public TokenViews.Minted mint(@PathParam("slug") String slug, @Valid TokenViews.MintRequest request) {
        return tokens.mint(caller.principal(), slug, Bodies.require(request));
    }

    @GET
    @Access(Access.Who.MANAGER)
    public TokenViews.TokenList list(@PathParam("slug") String slug) {
        return tokens.list(slug);
    }

    @DELETE
    @Path("/{id}")
    @Audited("token.revoke")
    @Access(Access.Who.MANAGER)
    public TokenViews.Revoked revoke(@PathParam("slug") String slug, @PathParam("id") String id) {
        return tokens.revoke(caller.principal(), slug, id);
    }

    @POST
    @Path("/{id}/roll")
    @ResponseStatus(201)
    @Audited("token.roll")
    @Access(Access.Who.MANAGER)
    public TokenViews.Minted roll(@PathParam("slug") String slug, @PathParam("id") String id,
            @Valid TokenViews.RollRequest request) {
        return tokens.roll(caller.principal(), slug, id, request);
    }
}
