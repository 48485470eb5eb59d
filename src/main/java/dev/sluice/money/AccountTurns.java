package dev.sluice.money;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import org.jboss.logging.MDC;

import dev.sluice.WireValues;
import dev.sluice.auth.Principal;
import dev.sluice.web.RequestFailure;
import dev.sluice.web.RequestIds;
import dev.sluice.web.SluiceException;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.quarkus.arc.Arc;
import io.quarkus.arc.InjectableContext.ContextState;
import io.quarkus.arc.ManagedContext;

/**
 * The per-account scheduler, and the one way Java code takes an account's credit lock ({@link CreditLock}).
 * <p>
 * Coalesces the settlements (leases, closes, late reports) of one account: what is queued for an account while its
 * previous batch is at the database runs next as one {@code settle_tunnels} statement (at most {@link #MAX_BATCH}
 * calls). One lock hand-off and one commit then serve a whole batch, which is what lets a hot account keep pace with
 * the database. Correctness does not depend on it: every settlement still runs under the account's credit lock
 * inside the database, so batches from several replicas serialise there.
 * <p>
 * Registrations take the same turns ({@link #inTurn}), one per turn after the account's batch: they would queue on
 * the account's credit lock anyway, and queued here they wait without a connection or a thread. So do the owner's
 * calls that take that lock ({@link #inTurnOf}: reservations, worker creations, revocations, suspension). Work run in
 * a turn is handed the account's {@link CreditLock}, and nothing else makes one for an account. So one
 * account's pile of work, however stuck on its own lock, holds at most one connection and one thread of this replica
 * (those of its turn at the database), and every other account keeps the rest.
 * <p>
 * No thread waits for a turn: a caller that finds no turn of its account in flight, and a free slot at the database,
 * runs a turn of its own work at once on its own thread (an account with one caller at a time pays no hand-off); one
 * that finds a turn in flight gets a future and its thread goes back to the pool, and the next turn runs on a runner
 * thread when the one in flight ends. At most {@link #slots()} turns are at the database at once (the pool's size but
 * {@link #SPARE_CONNECTIONS}, each turn holding a pooled connection at a time); accounts with a turn to run
 * beyond that wait in one queue, in arrival order, instead of parking a thread each in the connection
 * pool (which PostgreSQL pays for too: fewer busy backends spend less CPU per transaction).
 * Every call waits at most {@code LEASE_WAIT} for its turn: one still queued then is withdrawn and answered 503
 * (nothing was committed for it); one already sent to the database is answered with what committed.
 */
@ApplicationScoped
public class AccountTurns {

    static final int MAX_BATCH = 256;
    private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("sluice.outcome");
    private static final AttributeKey<Long> BATCH_SIZE = AttributeKey.longKey("sluice.batch.size");
    /** Connections of the pool a turn never takes, for usage reads, other calls and the scheduled jobs. */
    static final int SPARE_CONNECTIONS = 2;

    /** A queued settlement; its span lasts from the queueing to the answer, the wait for its batch included. */
    private record Pending(SettleCall call, CompletableFuture<Settlement> result, Span span) {
    }

    /**
     * Work with a transaction of its own under the account's credit lock, made in the account's turn, with its
     * caller's request id and request scope (whose audit trail records what the work did).
     */
    private record Task<T>(Supplier<T> work, String requestId, ContextState requestScope,
            CompletableFuture<T> result) {

        /** Whatever ends the work, an {@code Error} included, answers its caller; the Error then goes on. */
        void run() {
            ManagedContext requestContext = Arc.container().requestContext();
            // On a runner thread the caller's request scope is made current for the work; on the caller's own
            // thread it is current already.
            boolean carried = requestScope != null && requestScope.isValid() && !requestContext.isActive();
            if (carried) {
                requestContext.activate(requestScope);
            }
            try {
                RequestIds.during(requestId, () -> {
                    try {
                        result.complete(work.get());
                    } catch (RuntimeException e) {
                        result.completeExceptionally(e);
                    } catch (Error e) {
                        result.completeExceptionally(new IllegalStateException("a turn's work failed", e));
                        throw e;
                    }
                });
            } finally {
                if (carried) {
                    requestContext.deactivate();
                }
            }
        }
    }

    private static final class AccountQueue {
        final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Task<?>> tasks = new ConcurrentLinkedQueue<>();
        /** Held by whoever runs this account's turn: at most one turn per account at a time on this replica. */
        final AtomicBoolean draining = new AtomicBoolean();
    }

    private final Map<Long, AccountQueue> queues = new ConcurrentHashMap<>();
    private final int slotCount;
    /** Free slots at the database; only ever taken with tryAcquire, so no thread waits on it. */
    private final Semaphore slots;
    /** Accounts with a turn to run and no slot yet, in arrival order; each one's draining flag is held. */
    private final ConcurrentLinkedQueue<Long> waiting = new ConcurrentLinkedQueue<>();
    private final ExecutorService runners;
    private final ScheduledThreadPoolExecutor deadlines = new ScheduledThreadPoolExecutor(1, named("lease-wait"));

    {
        // A deadline cancelled because its call was answered leaves the queue at once, not LEASE_WAIT later.
        deadlines.setRemoveOnCancelPolicy(true);
    }

    @Inject
    Settlements settlements;
    @Inject
    SettlementMetrics metrics;
    @Inject
    Tracer tracer;
    final Duration lateReportWindow;
    final Duration maxWait;

    @Inject
    AccountTurns(SettlementConfig config, @ConfigProperty(name = "quarkus.datasource.jdbc.max-size") int poolSize) {
        this.lateReportWindow = config.tunnelStaleAfter();
        this.maxWait = config.leaseWait();
        this.slotCount = Math.max(1, poolSize - SPARE_CONNECTIONS);
        this.slots = new Semaphore(slotCount);
        this.runners = Executors.newFixedThreadPool(slotCount, named("lease-batch"));
    }

    /** How many turns may be at the database at once. */
    public int slots() {
        return slotCount;
    }

    /** Queues one settlement; the future completes when it has committed (or was withdrawn, or its batch failed). */
    public CompletableFuture<Settlement> settle(SettleCall call) {
        AccountQueue queue = queues.computeIfAbsent(call.accountId(), id -> new AccountQueue());
        // A child of the request's span (the current context): it covers the wait for the account's batch, which an
        // event marks the end of, and the settlement. Without a traced request (no collector) nothing is made.
        Span span = Span.current().getSpanContext().isValid()
                ? tracer.spanBuilder(call.close() ? "sluice.close" : "sluice.lease").startSpan()
                : Span.getInvalid();
        Pending mine = new Pending(call, new CompletableFuture<>(), span);
        mine.result().whenComplete((settled, failure) -> {
            metrics.settled(call, settled);
            if (!span.isRecording()) {
                return;
            }
            if (settled != null) {
                span.setAttribute(OUTCOME, WireValues.wire(settled.outcome()));
            } else {
                span.setStatus(StatusCode.ERROR);
            }
            span.end();
        });
        queue.pending.add(mine);
        return inQueue(call.accountId(), queue, mine.result(), () -> withdraw(queue.pending, mine, mine.result()),
                () -> runBatch(call.accountId(), queue));
    }

    /**
     * Runs work that takes the account's credit lock in a transaction of its own (a registration) in the account's
     * turn, under the caller's request id, with the same deadline as a settlement: one still queued at
     * {@code LEASE_WAIT} is withdrawn and answered 503 without having run. The work is handed the account's credit
     * lock.
     */
    public <T> CompletableFuture<T> inTurn(long accountId, Function<CreditLock, T> work) {
        AccountQueue queue = queues.computeIfAbsent(accountId, id -> new AccountQueue());
        CreditLock lock = new CreditLock(accountId, settlements);
        Task<T> mine = new Task<>(() -> work.apply(lock), RequestIds.current(),
                Arc.container().requestContext().getStateIfActive(),
                new CompletableFuture<>());
        queue.tasks.add(mine);
        return inQueue(accountId, queue, mine.result(), () -> withdraw(queue.tasks, mine, mine.result()), () -> {
            if (queue.tasks.remove(mine)) {
                mine.run();
            }
        });
    }

    /**
     * A call of an account's own token that takes its credit lock (a worker's creation, a subdomain's reservation, a
     * token's revocation, the account's suspension), made in the account's turn as a registration is, so that a pile
     * of one account's calls holds one connection at most; a failure names the caller's request. Root's calls, which
     * have no account of their own, run at once, with a lock made {@link #outsideTurns}.
     */
    public <T> CompletionStage<T> inTurnOf(Principal caller, Function<CreditLock, T> work) {
        String requestId = RequestIds.current(); // before the work, which may leave another request's log context
        CompletionStage<T> answer;
        if (caller.accountId() != null) {
            answer = inTurn(caller.accountId(), work);
        } else {
            try {
                answer = CompletableFuture.completedFuture(work.apply(outsideTurns()));
            } catch (RuntimeException e) {
                answer = CompletableFuture.failedFuture(e);
            }
        }
        return RequestFailure.bind(requestId, answer);
    }

    /**
     * A credit lock for a call that has no account of its own and takes no turn: root's calls and Stripe's events.
     * They are few (an operator's, or Stripe's retried deliveries), so they queue on the database lock instead.
     */
    public CreditLock outsideTurns() {
        return new CreditLock(null, settlements);
    }

    /**
     * Sets the deadline of what was just queued, and takes the account's turn if nobody holds it. A turn run on the
     * caller's own thread does the caller's own work only ({@code ownWork}: the batch its settlement is in, or its
     * task): the caller's answer waits for the method to return, so it must not wait for another request's work too.
     * Whatever else is queued gets a turn of its own on a runner.
     */
    private <T> CompletableFuture<T> inQueue(long accountId, AccountQueue queue, CompletableFuture<T> answer,
            Runnable withdrawal, Runnable ownWork) {
        try {
            ScheduledFuture<?> deadline = deadlines.schedule(withdrawal, maxWait.toMillis(), TimeUnit.MILLISECONDS);
            answer.whenComplete((result, failure) -> deadline.cancel(false));
        } catch (RejectedExecutionException e) {
            withdrawal.run(); // shutting down
        }
        if (queue.draining.compareAndSet(false, true)) {
            if (slots.tryAcquire()) {
                try {
                    turn(accountId, queue, ownWork);
                } finally {
                    slots.release();
                    dispatch();
                }
            } else {
                waiting.add(accountId);
                dispatch();
            }
        }
        return answer;
    }

    /** Gives a free slot to a runner if an account waits for one (a runner that takes one calls this again). */
    private void dispatch() {
        if (!waiting.isEmpty() && slots.tryAcquire()) {
            try {
                runners.execute(this::runWaiting);
            } catch (RuntimeException | Error e) {
                // Shutting down, or no thread to be had: a runner that frees its slot takes what waits, and what is
                // still queued at its deadline is withdrawn. The slot is never lost.
                slots.release();
            }
        }
    }

    /**
     * A runner's work with one slot: turns of waiting accounts, oldest first, until none waits. The slot is
     * released before the queue is looked at again, so an account queued at any moment is either seen here or finds
     * the slot free in its own dispatch: none is left behind.
     */
    private void runWaiting() {
        boolean holding = true;
        try {
            while (true) {
                Long accountId = waiting.poll();
                if (accountId != null) {
                    dispatch(); // the next waiting account need not wait for this turn
                    AccountQueue queue = queues.get(accountId);
                    turn(accountId, queue, () -> batchThenTask(accountId, queue));
                    continue;
                }
                slots.release();
                holding = false;
                if (waiting.isEmpty() || !slots.tryAcquire()) {
                    return;
                }
                holding = true;
            }
        } finally {
            if (holding) { // an Error ended this runner: its slot goes to another one
                slots.release();
                dispatch();
            }
        }
    }

    private static <T> void withdraw(Queue<T> queue, T queued, CompletableFuture<?> answer) {
        if (queue.remove(queued)) {
            answer.completeExceptionally(SluiceException.unavailable());
        }
    }

    /**
     * Runs one turn of the account (the caller holds its draining flag and a slot), then queues the account again if
     * work is left or arrived meanwhile. The flag is released before the queues are looked at again, so work queued
     * at any moment is either seen here or finds the flag free itself: none is left behind.
     */
    private void turn(long accountId, AccountQueue queue, Runnable work) {
        try {
            work.run();
        } finally {
            queue.draining.set(false);
            if ((!queue.pending.isEmpty() || !queue.tasks.isEmpty()) && queue.draining.compareAndSet(false, true)) {
                waiting.add(accountId);
            }
        }
    }

    /** A runner's turn: the account's batch of settlements, then one task. */
    private void batchThenTask(long accountId, AccountQueue queue) {
        runBatch(accountId, queue);
        Task<?> task = queue.tasks.poll();
        if (task != null) {
            task.run();
        }
    }

    /** What is queued of the account's settlements, at most {@link #MAX_BATCH}, as one statement. */
    private void runBatch(long accountId, AccountQueue queue) {
        List<Pending> batch = new ArrayList<>();
        for (Pending next; batch.size() < MAX_BATCH && (next = queue.pending.poll()) != null;) {
            batch.add(next);
        }
        if (!batch.isEmpty()) {
            run(accountId, batch);
        }
    }

    @PreDestroy
    void stop() {
        runners.shutdown();
        deadlines.shutdown();
    }

    private static ThreadFactory named(String name) {
        return task -> {
            // No request's log context carries over from whichever request made the pool start a thread.
            Thread thread = new Thread(() -> {
                MDC.clear();
                task.run();
            }, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    private void run(long accountId, List<Pending> batch) {
        Settlement[] results = null;
        Throwable ended = null;
        Attributes settling = Attributes.of(BATCH_SIZE, (long) batch.size());
        for (Pending pending : batch) {
            if (pending.span().isRecording()) {
                pending.span().addEvent("settling", settling);
            }
        }
        try {
            long started = System.nanoTime();
            results = settlements.settle(accountId, batch.stream().map(Pending::call).toList(),
                    lateReportWindow.toSeconds());
            metrics.batch(batch.size(), System.nanoTime() - started);
        } catch (Throwable e) {
            ended = e;
        }
        // Answered only now, with the connection back in the pool: completing a caller runs what it does next on
        // this thread, and that may need a connection of its own (the audit of a late report).
        for (int i = 0; i < batch.size(); i++) {
            CompletableFuture<Settlement> answer = batch.get(i).result();
            if (ended != null) {
                // Whatever ended the batch (SQL, a driver bug, an Error), every caller in it gets an answer.
                answer.completeExceptionally(ended instanceof RuntimeException runtime ? runtime
                        : new IllegalStateException("settle_tunnels failed", ended));
            } else if (results[i] == null) {
                answer.completeExceptionally(new IllegalStateException("settle_tunnels skipped a call"));
            } else {
                answer.complete(results[i]);
            }
        }
        if (ended instanceof Error error) {
            throw error;
        }
    }
}
