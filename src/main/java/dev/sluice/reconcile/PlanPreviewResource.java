package dev.sluice.reconcile;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import dev.sluice.account.Accounts;
import dev.sluice.auth.Access;
import dev.sluice.plan.Plan;
import dev.sluice.web.SluiceException;

/** What moving an account to a plan would close, release and quarantine, from the reconciler's own selections. */
@Path("/admin/accounts/{slug}/plan-preview")
@Produces(MediaType.APPLICATION_JSON)
public class PlanPreviewResource {

    @Inject
    Reconciler reconciler;

    @GET
    @Access(Access.Who.MANAGER)
    public Reconciler.Preview preview(@PathParam("slug") String slug, @QueryParam("plan") String planId) {
        Plan plan;
        try {
            plan = Plan.fromId(planId);
        } catch (IllegalArgumentException e) {
            throw SluiceException.validation("plan", "'plan' must be free, starter or pro.");
        }
        return reconciler.preview(Accounts.require(slug), plan);
    }
}
