package dev.sluice.reconcile;

import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.sluice.account.AccountViews;
import dev.sluice.audit.Audited;
import dev.sluice.auth.Access;
import dev.sluice.plan.Plan;
import dev.sluice.web.Bodies;

/** Root's plan change: the same path as Stripe's, reconciled at once. */
@Path("/admin/accounts/{slug}/plan")
@Produces(MediaType.APPLICATION_JSON)
public class PlanChangeResource {

    public record ChangeRequest(@NotNull Plan plan) {
    }

    @Inject
    PlanService planService;

    @PUT
    @Audited("plan.change")
    @Access(Access.Who.ROOT)
    public AccountViews.Updated change(@PathParam("slug") String slug, @Valid ChangeRequest request) {
        return new AccountViews.Updated(true, planService.changeByRoot(slug, Bodies.require(request).plan()));
    }
}
