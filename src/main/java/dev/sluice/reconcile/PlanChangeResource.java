package dev.sluice.reconcile;

import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import dev.sluice.account.Account;
import dev.sluice.account.AccountService;
import dev.sluice.account.AccountViews;
import dev.sluice.account.Accounts;
import dev.sluice.audit.AuditLog;
import dev.sluice.audit.Audited;
import dev.sluice.auth.Access;
import dev.sluice.plan.Plan;
import dev.sluice.plan.PlanService;
import dev.sluice.web.Bodies;

/** Root's plan change: the same path as Stripe's, reconciled at once. */
@Path("/admin/accounts/{slug}/plan")
@Produces(MediaType.APPLICATION_JSON)
public class PlanChangeResource {

    public record ChangeRequest(@NotNull Plan plan) {
    }

    static final AuditLog.Actor ROOT = new AuditLog.Actor("root", "root");

    @Inject
    PlanService planService;
    @Inject
    AccountService accounts;

    @PUT
    @Audited("plan.change")
    @Access(Access.Who.ROOT)
    @Transactional
    public AccountViews.Updated change(@PathParam("slug") String slug, @Valid ChangeRequest request) {
        Account account = Accounts.lock(slug);
        account.graceUntil = null;
        planService.change(account, Bodies.require(request).plan().id(), ROOT);
        return new AccountViews.Updated(true, accounts.get(slug));
    }
}
