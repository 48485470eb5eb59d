package dev.sluice.credit;

import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.RestResponse;

import dev.sluice.audit.Audited;
import dev.sluice.auth.Access;
import dev.sluice.web.Bodies;
import dev.sluice.web.IdempotencyKey;
import dev.sluice.web.QueryParams;
import dev.sluice.web.SluiceException;

/** An account's prepaid credit: grants (root adds and voids them), the ledger, the balance alert. */
@Path("/admin/accounts/{slug}")
@Produces(MediaType.APPLICATION_JSON)
public class CreditResource {

    @Inject
    CreditService credit;

    @POST
    @Path("/grants")
    @Audited("grant.create")
    @Access(Access.Who.ROOT)
    public RestResponse<CreditViews.Grant> addGrant(@PathParam("slug") String slug,
            @HeaderParam(IdempotencyKey.HEADER) String key, @Valid CreditViews.GrantRequest request) {
        CreditService.Added added = credit.add(slug, Bodies.require(request), IdempotencyKey.requireValid(key));
        RestResponse.ResponseBuilder<CreditViews.Grant> response = RestResponse.ResponseBuilder.create(RestResponse.Status.CREATED,
                added.grant());
        if (added.replayed()) {
            response.header(SluiceException.IDEMPOTENT_REPLAYED, "true");
        }
        return response.build();
    }

    @GET
    @Path("/grants")
    @Access(Access.Who.MANAGER)
    public CreditViews.GrantList listGrants(@PathParam("slug") String slug, @QueryParam("status") String status) {
        return credit.list(slug, status);
    }

    @POST
    @Path("/grants/{id}/void")
    @Audited("grant.void")
    @Access(Access.Who.ROOT)
    public CreditViews.Voided voidGrant(@PathParam("slug") String slug, @PathParam("id") String id) {
        return credit.voidGrant(slug, id);
    }

    @GET
    @Path("/ledger")
    @Access(Access.Who.MANAGER)
    public CreditViews.Page ledger(@PathParam("slug") String slug, @QueryParam("limit") String limit,
            @QueryParam("cursor") String cursor, @QueryParam("order") String order) {
        return credit.ledger(slug, QueryParams.integer("limit", limit), cursor, order);
    }

    @GET
    @Path("/balance-alert")
    @Access(Access.Who.MANAGER)
    public CreditViews.BalanceAlert balanceAlert(@PathParam("slug") String slug) {
        return credit.balanceAlert(slug);
    }

    @PUT
    @Path("/balance-alert")
    @Audited("balance_alert.set")
    @Access(Access.Who.MANAGER)
    public CreditViews.BalanceAlert setBalanceAlert(@PathParam("slug") String slug,
            @Valid CreditViews.BalanceAlertRequest request) {
        return credit.setBalanceAlert(slug, Bodies.require(request));
    }
}
