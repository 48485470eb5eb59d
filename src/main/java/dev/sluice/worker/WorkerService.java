package dev.sluice.worker;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import dev.sluice.UtcNow;
import dev.sluice.account.Account;
import dev.sluice.audit.AuditTrail;
import dev.sluice.auth.Principal;
import dev.sluice.money.CreditLock;
import dev.sluice.plan.PlanCatalogue;
import dev.sluice.plan.PlanLimits;
import dev.sluice.web.DnsLabel;
import dev.sluice.web.SluiceException;

/** Workers of an account, capped by its plan; the cap is counted under the account's credit lock. */
@ApplicationScoped
public class WorkerService {

    public record WorkerView(UUID id, String name, String status, Instant createdAt, Instant quarantinedAt) {

        public static WorkerView of(Worker w) {
            return new WorkerView(w.workerId, w.name, w.status, w.createdAt, w.quarantinedAt);
        }
    }

    public record WorkerList(List<WorkerView> workers) {
    }

    @Inject
    PlanCatalogue plans;
    @Inject
    AuditTrail audit;

    @Transactional
    public WorkerView create(CreditLock lock, Principal caller, String name) {
        DnsLabel.require(name, "name");
        Account account = lock.lock(caller.accountId());
        account.requireActive();
        PlanLimits plan = plans.get(account.plan());
        if (Worker.count("accountId = ?1 and status = ?2", account.accountId(), Worker.ACTIVE) >= plan.workers()) {
            throw plans.planLimit(plan, plan.workers(), "worker");
        }
        if (Worker.count("accountId = ?1 and name = ?2", account.accountId(), name) > 0) {
            throw SluiceException.validation("name", "A worker named '" + name + "' exists already.");
        }
        Worker worker = new Worker();
        worker.workerId = UUID.randomUUID();
        worker.accountId = account.accountId();
        worker.name = name;
        worker.status = Worker.ACTIVE;
        worker.createdAt = UtcNow.get();
        worker.persist();
        audit.succeeded(account.slug(), "worker:" + worker.workerId, "name=" + name);
        return WorkerView.of(worker);
    }

    public WorkerList list(Principal caller) {
        List<Worker> workers = Worker.list("accountId = ?1 order by createdAt, workerId", caller.accountId());
        return new WorkerList(workers.stream().map(WorkerView::of).toList());
    }

    @Transactional
    public Map<String, Object> delete(Principal caller, String id) {
        UUID workerId;
        try {
            workerId = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw SluiceException.notFound("No worker with that id.");
        }
        if (Worker.delete("accountId = ?1 and workerId = ?2", caller.accountId(), workerId) == 0) {
            throw SluiceException.notFound("No worker with that id.");
        }
        audit.succeeded(caller.slug(), "worker:" + workerId, null);
        return Map.of("ok", true, "id", workerId);
    }
}
