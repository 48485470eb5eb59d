package dev.sluice.notify;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.ResponseStatus;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.sluice.audit.Audited;
import dev.sluice.auth.Access;
import dev.sluice.web.Bodies;
import io.smallrye.common.annotation.Blocking;

/** Outgoing webhook endpoints of an account ({@code svc*}). */
@Path("/admin/accounts/{slug}/webhooks")
@Produces(MediaType.APPLICATION_JSON)
public class WebhookResource {

    // Another record has this simple name; its own schema name spares generated clients a numbered one.
    @Schema(name = "WebhookRequest")
    public record CreateRequest(@NotNull @Size(max = 2048) String url, @NotNull List<String> events) {
    }

    @Inject
    WebhookService webhooks;

    /** Answered once the target's host is resolved; no thread waits for DNS meanwhile. */
    @POST
    @ResponseStatus(201)
    @Audited("webhook.create")
    @Access(Access.Who.MANAGER)
    @Blocking
    public CompletionStage<WebhookService.Created> create(@PathParam("slug") String slug,
            @Valid CreateRequest request) {
        CreateRequest body = Bodies.require(request);
        return webhooks.create(slug, body.url(), body.events());
    }

    @GET
    @Access(Access.Who.MANAGER)
    public WebhookService.EndpointList list(@PathParam("slug") String slug) {
        return webhooks.list(slug);
    }

    @DELETE
    @Path("/{id}")
    @Audited("webhook.delete")
    @Access(Access.Who.MANAGER)
    public Map<String, Object> delete(@PathParam("slug") String slug, @PathParam("id") String id) {
        return webhooks.delete(slug, id);
    }

    @GET
    @Path("/{id}/deliveries")
    @Access(Access.Who.MANAGER)
    public WebhookService.AttemptList deliveries(@PathParam("slug") String slug, @PathParam("id") String id) {
        return webhooks.deliveries(slug, id);
    }
}
