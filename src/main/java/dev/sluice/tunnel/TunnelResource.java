package dev.sluice.tunnel;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.RestResponse;

import dev.sluice.auth.Access;
import dev.sluice.auth.Caller;
import dev.sluice.web.IdempotencyKey;
import dev.sluice.web.RequestFailure;
import dev.sluice.web.RequestIds;
import io.smallrye.common.annotation.Blocking;

/** The relay's side: register, lease, close, and read tunnels. */
@Path("/v1/tunnels")
@Produces(MediaType.APPLICATION_JSON)
public class TunnelResource {

    @Inject
    Caller caller;
    @Inject
    TunnelService tunnels;

    /** Blocking: authentication may read the database; the registration itself runs in its account's turn. */
    @POST
    @Access(Access.Who.API)
    @Blocking
    public CompletionStage<RestResponse<TunnelViews.Registered>> register(@HeaderParam(IdempotencyKey.HEADER) String key,
            @Valid TunnelViews.RegisterRequest request) {
        return answered(RestResponse.Status.CREATED, () -> tunnels.register(caller.principal(),
                request == null ? new TunnelViews.RegisterRequest(null, null, null) : request,
                IdempotencyKey.requireValid(key)));
    }

    /**
     * Reports are made with the token that registered the tunnel, even a revoked one (it is charged, then 410).
     * Blocking: authentication may read the database; the answer comes when the account's batch has committed,
     * and the worker thread is free meanwhile.
     */
    @POST
    @Path("/{id}/lease")
    @Access(Access.Who.REPORT)
    @Blocking
    public CompletionStage<RestResponse<TunnelViews.Leased>> lease(@PathParam("id") String id,
            @HeaderParam(IdempotencyKey.HEADER) String key, @Valid TunnelViews.LeaseRequest request) {
        return answered(RestResponse.Status.OK, () -> tunnels.lease(caller.reportingPrincipal(), id,
                request == null ? new TunnelViews.LeaseRequest(null, null, null, null) : request,
                IdempotencyKey.requireValid(key)));
    }

    @POST
    @Path("/{id}/close")
    @Access(Access.Who.REPORT)
    @Blocking
    public CompletionStage<RestResponse<TunnelViews.Closed>> close(@PathParam("id") String id,
            @HeaderParam(IdempotencyKey.HEADER) String key, @Valid TunnelViews.CloseRequest request) {
        return answered(RestResponse.Status.OK, () -> tunnels.close(caller.reportingPrincipal(), id,
                request == null ? new TunnelViews.CloseRequest(null, null, null) : request,
                IdempotencyKey.requireValid(key)));
    }

    @GET
    @Access(Access.Who.ACCOUNT_TOKEN)
    public TunnelViews.TunnelList list() {
        return tunnels.list(caller.principal());
    }

    @GET
    @Path("/{id}")
    @Access(Access.Who.ACCOUNT_TOKEN)
    public TunnelViews.TunnelView get(@PathParam("id") String id) {
        return tunnels.get(caller.principal(), id);
    }

    /**
     * The answer with its headers, or the error itself (not wrapped) for the one error mapper, carrying this
     * request's id: the answer may be rendered on the thread that ran the turn, whose log context is another
     * request's. The id is read before the work starts: a caller that runs its account's turn completes other
     * requests' answers on its own thread, and may come back with another request's log context.
     */
    private static <T> CompletionStage<RestResponse<T>> answered(RestResponse.Status status,
            Supplier<CompletionStage<TunnelService.WithHeaders<T>>> work) {
        String requestId = RequestIds.current();
        return RequestFailure.bind(requestId, work.get().thenApply(
                result -> withHeaders(RestResponse.ResponseBuilder.create(status, result.body()), result)));
    }

    private static <T> RestResponse<T> withHeaders(RestResponse.ResponseBuilder<T> response,
            TunnelService.WithHeaders<T> result) {
        result.headers().forEach(response::header);
        return response.build();
    }
}
