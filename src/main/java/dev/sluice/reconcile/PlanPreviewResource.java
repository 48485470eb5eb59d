package dev.sluice.reconcile;

import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import dev.sluice.account.Account;
import dev.sluice.account.Accounts;
import dev.sluice.auth.Access;
import dev.sluice.plan.Plan;
import dev.sluice.plan.PlanCatalogue;
import dev.sluice.tunnel.Tunnel;
import dev.sluice.tunnel.TunnelService;
import dev.sluice.tunnel.TunnelViews;
import dev.sluice.web.SluiceException;
import dev.sluice.worker.Worker;
import dev.sluice.worker.WorkerService;

/** What moving an account to a plan would close, release and quarantine, from the reconciler's own selections. */
@Path("/admin/accounts/{slug}/plan-preview")
@Produces(MediaType.APPLICATION_JSON)
public class PlanPreviewResource {

    public record Preview(String plan, List<TunnelViews.TunnelView> tunnels, List<Map<String, String>> subdomains,
            List<WorkerService.WorkerView> workers) {
    }

    @Inject
    PlanCatalogue plans;
    @Inject
    Reconciler reconciler;
    @Inject
    TunnelService tunnels;

    @GET
    @Access(Access.Who.MANAGER)
    public Preview preview(@PathParam("slug") String slug, @QueryParam("plan") String planId) {
        Plan plan;
        try {
            plan = Plan.fromId(planId);
        } catch (IllegalArgumentException e) {
            throw SluiceException.validation("plan", "'plan' must be free, starter or pro.");
        }
        Account account = Accounts.require(slug);
        Reconciler.Selection selection = reconciler.select(account, plans.get(plan.id()));
        return new Preview(plan.id(),
                selection.tunnels().stream().map(id -> tunnels.view(Tunnel.<Tunnel>findById(id))).toList(),
                selection.subdomains().stream().map(name -> Map.of("name", name)).toList(),
                selection.workers().stream().map(id -> WorkerService.WorkerView.of(Worker.<Worker>findById(id)))
                        .toList());
    }
}
