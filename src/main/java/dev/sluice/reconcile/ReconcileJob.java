package dev.sluice.reconcile;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;

/**
 * Every {@code RECONCILE_EVERY}: finds the accounts that do not fit their plan (one query) and reconciles each in
 * its own transaction ({@code reconcile_if_free}, called for {@link #CHUNK} accounts at a time; an account whose
 * payment grace has run out in a second transaction, through {@link PlanService#endGrace}), which takes the
 * account's row lock ({@code FOR NO KEY UPDATE}, as every account writer does, so inserts whose foreign key
 * share-locks the account never deadlock with it) with {@code SKIP LOCKED}, so replicas split the work and an
 * account someone else is changing is simply left for the next round. An expired payment grace drops the account to
 * free here, through the same plan-change path as root and Stripe.
 */
@ApplicationScoped
public class ReconcileJob {

    private static final Logger LOG = Logger.getLogger(ReconcileJob.class);
    static final int BATCH = 500;
    /** Calls running at once (each holds one pooled connection while it runs). */
    static final int PARALLEL = 4;
    /** Accounts per call: one round trip for them all, a connection held for about 0.3 ms an account. */
    static final int CHUNK = 25;
    /** A safety bound on one round: 100 pages of 500 accounts; the next round goes on where this one stopped. */
    static final int MAX_PAGES = 100;

    /** What a round did: accounts fixed, and accounts (or calls) that failed and are left for the next round. */
    public record Round(int fixed, int failed) {
        static final Round NONE = new Round(0, 0);

        Round plus(Round other) {
            return new Round(fixed + other.fixed, failed + other.failed);
        }
    }

    private final ExecutorService workers = Executors.newFixedThreadPool(PARALLEL);
    /** Where the next page starts: after the last account of the previous one, 0 once a sweep has ended. */
    private volatile long resumeAfter;

    @Inject
    Reconciler reconciler;
    @Inject
    PlanService planService;
    @Inject
    ReconcilerMetrics metrics;

    @Scheduled(identity = "reconciler", every = "${reconcile-every}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            runOnce();
        } catch (RuntimeException e) {
            LOG.warnf("reconcile round failed, retrying next round: %s", e.getMessage());
        }
    }

    /**
     * One sweep over the accounts that are out of line, in account order, a page of candidates at a time (each page
     * starts after the last, so fixed accounts are not scanned again); returns how many it fixed and how many
     * failed. A page's accounts are reconciled {@link #CHUNK} to a call and {@link #PARALLEL} calls at a time, each
     * account in its own transaction: they are independent, and while one call waits for the database another runs.
     * The next page is read while this one is reconciled (it starts after this page's last account, so the two never
     * meet), so the workers do not wait for it. Accounts it had to skip (locked elsewhere) are found by the next
     * round.
     */
    public Round runOnce() {
        Round round;
        try {
            round = sweep();
        } catch (RuntimeException e) {
            metrics.ran(true);
            throw e;
        }
        metrics.ran(round.failed() > 0);
        return round;
    }

    private Round sweep() {
        Round round = Round.NONE;
        List<Long> candidates = candidatesAfter(resumeAfter);
        for (int page = 0; page < MAX_PAGES; page++) {
            List<Future<Round>> results = new ArrayList<>();
            for (int from = 0; from < candidates.size(); from += CHUNK) {
                List<Long> chunk = candidates.subList(from, Math.min(from + CHUNK, candidates.size()));
                results.add(workers.submit(() -> reconcileIfFree(chunk)));
            }
            boolean sweepEnds = candidates.size() < BATCH;
            long after = sweepEnds ? 0 : candidates.get(candidates.size() - 1);
            List<Long> next = sweepEnds || page == MAX_PAGES - 1 ? List.of() : candidatesAfter(after);
            for (Future<Round> result : results) {
                round = round.plus(doneIn(result));
            }
            resumeAfter = after;
            if (sweepEnds) {
                break;
            }
            candidates = next;
        }
        return round;
    }

    private List<Long> candidatesAfter(long after) {
        return QuarkusTransaction.requiringNew().call(() -> reconciler.candidates(after, BATCH));
    }

    /** What a call did; a call that failed is left for the next round, and says why. */
    private static Round doneIn(Future<Round> result) {
        try {
            return result.get();
        } catch (ExecutionException e) {
            LOG.warnf("reconciling accounts failed, retrying next round: %s", e.getCause().getMessage());
            return new Round(0, 1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Round.NONE;
        }
    }

    @PreDestroy
    void stop() {
        workers.shutdownNow();
    }

    /** Reconciles the accounts. */
    private Round reconcileIfFree(List<Long> accountIds) {
        List<Reconciler.Turn> turns = reconciler.reconcileIfFree(accountIds);
        Round round = Round.NONE;
        for (int i = 0; i < turns.size(); i++) {
            round = round.plus(done(accountIds.get(i), turns.get(i)));
        }
        return round;
    }

    private Round done(long accountId, Reconciler.Turn turn) {
        return switch (turn) {
            case BUSY -> Round.NONE;
            case FAILED -> new Round(0, 1);
            case RECONCILED -> new Round(1, 0);
            case GRACE_EXPIRED -> endGrace(accountId);
        };
    }

    /**
     * Moves an account whose payment grace has run out to free. One locked elsewhere, or whose grace was cleared
     * meanwhile, is not a failure; one that fails is left for the next round.
     */
    private Round endGrace(long accountId) {
        try {
            return QuarkusTransaction.requiringNew().call(() -> planService.endGrace(accountId))
                    ? new Round(1, 0) : Round.NONE;
        } catch (RuntimeException e) {
            LOG.warnf("ending account %d's payment grace failed, retrying next round: %s", accountId, e.getMessage());
            return new Round(0, 1);
        }
    }
}
