package dev.sluice.tunnel;

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

/** The relay's side: register, lease, close, and read tunnels. */
@Path("/v1/tunnels")
@Produces(MediaType.APPLICATION_JSON)
public class TunnelResource {

    static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    @Inject
    Caller caller;
    @Inject
    TunnelService tunnels;

    @POST
    @Access(Access.Who.API)
    public RestResponse<TunnelViews.Registered> register(@HeaderParam(IDEMPOTENCY_KEY) String key,
            @Valid TunnelViews.RegisterRequest request) {
        TunnelService.WithHeaders<TunnelViews.Registered> registered = tunnels.register(caller.principal(),
                request == null ? new TunnelViews.RegisterRequest(null, null, null) : request,
                IdempotencyKeys.requireValid(key));
        return withHeaders(RestResponse.ResponseBuilder.create(RestResponse.Status.CREATED, registered.body()),
                registered);
    }

    /** Reports are made with the token that registered the tunnel, even a revoked one (it is charged, then 410). */
    @POST
    @Path("/{id}/lease")
    @Access(Access.Who.REPORT)
    public RestResponse<TunnelViews.Leased> lease(@PathParam("id") String id, @HeaderParam(IDEMPOTENCY_KEY) String key,
            @Valid TunnelViews.LeaseRequest request) {
        TunnelService.WithHeaders<TunnelViews.Leased> leased = tunnels.lease(caller.reportingPrincipal(), id,
                request == null ? new TunnelViews.LeaseRequest(null, null, null, null) : request,
                IdempotencyKeys.requireValid(key));
        return withHeaders(RestResponse.ResponseBuilder.ok(leased.body()), leased);
    }

    @POST
    @Path("/{id}/close")
    @Access(Access.Who.REPORT)
    public RestResponse<TunnelViews.Closed> close(@PathParam("id") String id, @HeaderParam(IDEMPOTENCY_KEY) String key,
            @Valid TunnelViews.CloseRequest request) {
        TunnelService.WithHeaders<TunnelViews.Closed> closed = tunnels.close(caller.reportingPrincipal(), id,
                request == null ? new TunnelViews.CloseRequest(null, null, null) : request,
                IdempotencyKeys.requireValid(key));
        return withHeaders(RestResponse.ResponseBuilder.ok(closed.body()), closed);
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

    private static <T> RestResponse<T> withHeaders(RestResponse.ResponseBuilder<T> response,
            TunnelService.WithHeaders<T> result) {
        result.headers().forEach(response::header);
        return response.build();
    }
}
