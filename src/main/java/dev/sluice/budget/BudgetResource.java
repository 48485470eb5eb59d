package dev.sluice.budget;

import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.RestResponse;

import dev.sluice.audit.Audited;
import dev.sluice.auth.Access;
import dev.sluice.web.Bodies;

/** An account's budgets: spending caps and alert thresholds the owner sets below the account's limits. */
@Path("/admin/accounts/{slug}/budgets")
@Produces(MediaType.APPLICATION_JSON)
public class BudgetResource {

    @Inject
    BudgetService budgets;

    @POST
    @Audited("budget.create")
    @Access(Access.Who.MANAGER)
    public RestResponse<BudgetViews.Budget> create(@PathParam("slug") String slug,
            @Valid BudgetViews.BudgetRequest request) {
        return RestResponse.status(RestResponse.Status.CREATED, budgets.create(slug, Bodies.require(request)));
    }

    @GET
    @Access(Access.Who.MANAGER)
    public BudgetViews.BudgetList list(@PathParam("slug") String slug) {
        return budgets.list(slug);
    }

    @GET
    @Path("/{id}")
    @Access(Access.Who.MANAGER)
    public BudgetViews.Budget get(@PathParam("slug") String slug, @PathParam("id") String id) {
        return budgets.get(slug, id);
    }

    @PATCH
    @Path("/{id}")
    @Audited("budget.update")
    @Access(Access.Who.MANAGER)
    public BudgetViews.Budget change(@PathParam("slug") String slug, @PathParam("id") String id,
            @Valid BudgetViews.BudgetChange change) {
        return budgets.change(slug, id, Bodies.require(change));
    }

    @DELETE
    @Path("/{id}")
    @Audited("budget.delete")
    @Access(Access.Who.MANAGER)
    public BudgetViews.Deleted delete(@PathParam("slug") String slug, @PathParam("id") String id) {
        return budgets.delete(slug, id);
    }
}
