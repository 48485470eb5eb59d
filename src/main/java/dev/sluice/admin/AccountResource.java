package dev.sluice.admin;

import java.util.concurrent.CompletionStage;

import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.ResponseStatus;

import dev.sluice.account.AccountViews;
import dev.sluice.audit.Audited;
import dev.sluice.auth.Access;
import dev.sluice.auth.Caller;
import dev.sluice.auth.Principal;
import dev.sluice.money.AccountTurns;
import dev.sluice.web.Bodies;
import dev.sluice.web.QueryParams;
import io.smallrye.common.annotation.Blocking;

@Path("/admin/accounts")
@Produces(MediaType.APPLICATION_JSON)
public class AccountResource {

    @Inject
    AccountService accounts;
    @Inject
    Caller caller;
    @Inject
    AccountTurns turns;

    @POST
    @ResponseStatus(201)
    @Audited("account.create")
    @Access(Access.Who.ROOT)
    public AccountViews.Created create(@Valid AccountViews.CreateRequest request) {
        return accounts.create(Bodies.require(request));
    }

    @GET
    @Access(Access.Who.ROOT)
    public AccountViews.Page list(@QueryParam("limit") String limit, @QueryParam("cursor") String cursor,
            @QueryParam("q") String q) {
        return accounts.list(QueryParams.integer("limit", limit), cursor, q);
    }

    @GET
    @Path("/{slug}")
    @Access(Access.Who.MANAGER)
    public AccountViews.AccountView get(@PathParam("slug") String slug) {
        return accounts.get(slug);
    }

    @PATCH
    @Path("/{slug}")
    @Audited("account.update")
    @Access(Access.Who.ROOT)
    public AccountViews.AccountView patch(@PathParam("slug") String slug, @Valid AccountViews.PatchRequest request) {
        return accounts.patch(slug, Bodies.require(request));
    }

    @PATCH
    @Path("/{slug}/limits")
    @Audited("account.limits")
    @Access(Access.Who.ROOT)
    public AccountViews.Updated limits(@PathParam("slug") String slug, @Valid AccountViews.LimitChange request) {
        return accounts.updateLimits(turns.outsideTurns(), slug, Bodies.require(request));
    }

    /**
     * The owner's suspension runs in its account's turn: closing the tunnels takes its credit lock (see
     * {@link AccountTurns#inTurnOf}).
     */
    @POST
    @Path("/{slug}/suspend")
    @Audited("account.suspend")
    @Access(Access.Who.MANAGER)
    @Blocking
    public CompletionStage<AccountViews.StatusChanged> suspend(@PathParam("slug") String slug) {
        Principal principal = caller.principal();
        return turns.inTurnOf(principal, lock -> accounts.suspend(lock, principal, slug));
    }

    @POST
    @Path("/{slug}/resume")
    @Audited("account.resume")
    @Access(Access.Who.MANAGER)
    public AccountViews.StatusChanged resume(@PathParam("slug") String slug) {
        return accounts.resume(caller.principal(), slug);
    }
}
