package dev.sluice.tunnel;

import java.util.Map;
import java.util.concurrent.CompletionStage;

import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
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

/** Reserved subdomains, managed by the account owner's service token. */
@Path("/v1/subdomains")
@Produces(MediaType.APPLICATION_JSON)
public class SubdomainResource {

    public record ReserveRequest(@NotNull String name) {
    }

    @Inject
    Caller caller;
    @Inject
    SubdomainService subdomains;
    @Inject
    AccountTurns turns;

    /** In the account's turn: a reservation takes its credit lock (see {@link AccountTurns#inTurnOf}). */
    @POST
    @ResponseStatus(201)
    @Audited("subdomain.reserve")
    @Access(Access.Who.SERVICE)
    @Blocking
    public CompletionStage<SubdomainService.Reserved> reserve(@Valid ReserveRequest request) {
        Principal principal = caller.principal();
        String name = Bodies.require(request).name();
        return turns.inTurnOf(principal, lock -> subdomains.reserve(lock, principal, name));
    }

    @GET
    @Access(Access.Who.SERVICE)
    public SubdomainService.ReservedList list() {
        return subdomains.list(caller.principal());
    }

    @DELETE
    @Path("/{name}")
    @Audited("subdomain.release")
    @Access(Access.Who.SERVICE)
    public Map<String, Object> release(@PathParam("name") String name) {
        return subdomains.release(caller.principal(), name);
    }
}
