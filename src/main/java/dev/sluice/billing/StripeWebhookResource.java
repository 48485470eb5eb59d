package dev.sluice.billing;

import java.util.List;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.sluice.auth.Access;

/** Stripe's webhook (the raw body, before any JSON binding) and root's view of what Stripe sent. */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public class StripeWebhookResource {

    public record Received(boolean received, String outcome) {
    }

    public record StoredEvent(String id, String type, long created, String customer, String outcome) {
    }

    public record StoredEvents(List<StoredEvent> events) {
    }

    @Inject
    StripeEvents stripe;

    @POST
    @Path("webhooks/stripe")
    @Consumes(MediaType.WILDCARD)
    public Received receive(String payload, @HeaderParam("Stripe-Signature") String signature) {
        return new Received(true, stripe.receive(payload == null ? "" : payload, signature));
    }

    @GET
    @Path("admin/stripe/events")
    @Access(Access.Who.ROOT)
    public StoredEvents events() {
        return new StoredEvents(stripe.recent());
    }
}
