package dev.sluice.token;

import java.util.concurrent.CompletionStage;

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
import dev.sluice.auth.Principal;
import dev.sluice.money.AccountTurns;
import dev.sluice.web.Bodies;
import io.smallrye.common.annotation.Blocking;

@Path("/admin/accounts/{slug}/tokens")
@Produces(MediaType.APPLICATION_JSON)
public class TokenResource {

    @Inject
    Caller caller;
    @Inject
    TokenService tokens;
    @Inject
    AccountTurns turns;

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

    /** In the account's turn: closing the token's tunnels takes its credit lock (see {@link AccountTurns#inTurnOf}). */
    @DELETE
    @Path("/{id}")
    @Audited("token.revoke")
    @Access(Access.Who.MANAGER)
    @Blocking
    public CompletionStage<TokenViews.Revoked> revoke(@PathParam("slug") String slug, @PathParam("id") String id) {
        Principal principal = caller.principal();
        return turns.inTurnOf(principal, lock -> tokens.revoke(lock, principal, slug, id));
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
