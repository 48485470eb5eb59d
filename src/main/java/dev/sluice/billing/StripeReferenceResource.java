package dev.sluice.billing;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.sluice.account.Accounts;
import dev.sluice.auth.Access;

/** The {@code client_reference_id} an account owner puts in their Payment Links. */
@Path("/admin/accounts/{slug}/stripe-reference")
@Produces(MediaType.APPLICATION_JSON)
public class StripeReferenceResource {

    public record Reference(String reference) {
    }

    @Inject
    StripeReference references;

    @GET
    @Access(Access.Who.MANAGER)
    public Reference get(@PathParam("slug") String slug) {
        return new Reference(references.of(Accounts.require(slug).slug()));
    }
}
