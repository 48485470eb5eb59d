package dev.sluice.worker;

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

import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.jboss.resteasy.reactive.ResponseStatus;

import dev.sluice.audit.Audited;
import dev.sluice.auth.Access;
import dev.sluice.auth.Caller;
import dev.sluice.auth.Principal;
import dev.sluice.money.AccountTurns;
import dev.sluice.web.Bodies;
import io.smallrye.common.annotation.Blocking;

/** Workers, managed by the account owner's service token. */
@Path("/v1/workers")
@Produces(MediaType.APPLICATION_JSON)
public class WorkerResource {

    // Another record has this simple name; its own schema name spares generated clients a numbered one.
    @Schema(name = "WorkerRequest")
    public record CreateRequest(@NotNull String name) {
    }

    @Inject
    Caller caller;
    @Inject
    WorkerService workers;
    @Inject
    AccountTurns turns;

    /** In the account's turn: creation takes its credit lock (see {@link AccountTurns#inTurnOf}). */
    @POST
    @ResponseStatus(201)
    @Audited("worker.create")
    @Access(Access.Who.SERVICE)
    @Blocking
    public CompletionStage<WorkerService.WorkerView> create(@Valid CreateRequest request) {
        Principal principal = caller.principal();
        String name = Bodies.require(request).name();
        return turns.inTurnOf(principal, lock -> workers.create(lock, principal, name));
    }

    @GET
    @Access(Access.Who.SERVICE)
    public WorkerService.WorkerList list() {
        return workers.list(caller.principal());
    }

    @DELETE
    @Path("/{id}")
    @Audited("worker.delete")
    @Access(Access.Who.SERVICE)
    public Map<String, Object> delete(@PathParam("id") String id) {
        return workers.delete(caller.principal(), id);
    }
}
