package dev.sluice.tunnel;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sluice.web.SluiceException;
import io.agroal.api.AgroalDataSource;

/**
 * Coalesces the settlements (leases, closes, late reports) of one account: a caller that finds no batch in flight
 * becomes the leader, runs what is queued for that account (at most {@link #MAX_BATCH}) as one
 * {@code settle_tunnels} statement, and then hands over to the oldest caller still queued, so no thread drains for
 * others forever. One lock hand-off and one commit then serve a whole batch, which is what lets a hot account keep
 * pace with the database. Correctness does not depend on it: every settlement still runs under the account's credit
 * lock inside the database, so batches from several replicas serialise there.
 * <p>
 * Every caller waits at most {@code LEASE_WAIT} for its turn: one still queued then is withdrawn and answered 503
 * (nothing was committed for it); one already sent to the database is answered with what committed.
 */
@ApplicationScoped
public class LeaseBatcher {

    static final int MAX_BATCH = 256;
    /**
     * A safety net only: a waiter is woken by the hand-over (its wake is renewed before it looks at the queue, so a
     * hand-over cannot be missed), and this bound just caps how long a lost wake-up could cost. Kept long so that
     * waiters on a hot account do not spin.
     */
    private static final long RECHECK_MILLIS = 200;

    /** One settlement to make; {@code want} null means the lease chunk, {@code key} the Idempotency-Key if any. */
    record Call(long accountId, UUID tunnelId, UUID tokenId, long consumed, Long want, long bytesIn, long bytesOut,
            boolean close, String key, String requestId) {
    }

    /** The database's answer for one call (a replay's is the first answer, with its time and request id). */
    record Result(SettleOutcome outcome, long granted, long held, long returned, String closeReason, String scope,
            String level, String plan, Instant resetsAt, Instant decidedAt, String requestId, boolean replayed,
            boolean lateRefused, UsageWindows.Counters counters) {
    }

    private static final class Pending {
        final Call call;
        final CompletableFuture<Result> result = new CompletableFuture<>();
        /** Completed by a leader handing over; replaced by the waiter before each look at the queue. */
        volatile CompletableFuture<Void> wake = new CompletableFuture<>();

        Pending(Call call) {
            this.call = call;
        }
    }

    private static final class AccountQueue {
        final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
        final AtomicBoolean draining = new AtomicBoolean();
    }

    private final Map<Long, AccountQueue> queues = new ConcurrentHashMap<>();

    @Inject
    AgroalDataSource db;
    final Duration lateReportWindow;
    final Duration maxWait;

    @Inject
    LeaseBatcher(TunnelConfig config) {
        this.lateReportWindow = config.tunnelStaleAfter();
        this.maxWait = config.leaseWait();
    }

    Result settle(Call call) {
        AccountQueue queue = queues.computeIfAbsent(call.accountId(), id -> new AccountQueue());
        Pending mine = new Pending(call);
        queue.pending.add(mine);
        long deadline = System.nanoTime() + maxWait.toNanos();
        while (!mine.result.isDone()) {
            mine.wake = new CompletableFuture<>();
            if (leadOneBatch(call.accountId(), queue)) {
                continue;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                if (queue.pending.remove(mine)) {
                    throw SluiceException.unavailable();
                }
                break; // already in a batch at the database: wait for what it commits
            }
            try {
                CompletableFuture.anyOf(mine.result, mine.wake)
                        .get(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, RECHECK_MILLIS), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // Look again: a hand-over may have gone to a waiter that was not asleep yet.
            } catch (ExecutionException e) {
                break; // the batch failed; the failure is read below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (queue.pending.remove(mine)) {
                    throw SluiceException.unavailable();
                }
                break;
            }
        }
        return answer(mine);
    }

    /** Runs one batch if nobody else is; then wakes the oldest caller still queued to lead the next one. */
    private boolean leadOneBatch(long accountId, AccountQueue queue) {
        if (queue.pending.isEmpty() || !queue.draining.compareAndSet(false, true)) {
            return false;
        }
        try {
            List<Pending> batch = new ArrayList<>();
            for (Pending next; batch.size() < MAX_BATCH && (next = queue.pending.poll()) != null;) {
                batch.add(next);
            }
            if (!batch.isEmpty()) {
                run(accountId, batch);
            }
        } finally {
            queue.draining.set(false);
            Pending next = queue.pending.peek();
            if (next != null) {
                next.wake.complete(null);
            }
        }
        return true;
    }

    private static Result answer(Pending mine) {
        try {
            // Bounded: the batch holding this call ends when its statement does (the driver's socket timeout).
            return mine.result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw SluiceException.unavailable();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime
                    : new IllegalStateException("settle_tunnels failed", e.getCause());
        }
    }

    private void run(long accountId, List<Pending> batch) {
        try (Connection connection = db.getConnection();
                PreparedStatement statement = connection.prepareStatement("select s.ordinal, (s.result).* from "
                        + "settle_tunnels(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) s")) {
            int size = batch.size();
            UUID[] tunnels = new UUID[size];
            UUID[] tokens = new UUID[size];
            Long[] consumed = new Long[size];
            Long[] want = new Long[size];
            Long[] bytesIn = new Long[size];
            Long[] bytesOut = new Long[size];
            Boolean[] close = new Boolean[size];
            String[] keys = new String[size];
            String[] requestIds = new String[size];
            for (int i = 0; i < size; i++) {
                Call call = batch.get(i).call;
                tunnels[i] = call.tunnelId();
                tokens[i] = call.tokenId();
                consumed[i] = call.consumed();
                want[i] = call.want();
                bytesIn[i] = call.bytesIn();
                bytesOut[i] = call.bytesOut();
                close[i] = call.close();
                keys[i] = call.key();
                requestIds[i] = call.requestId();
            }
            statement.setLong(1, accountId);
            statement.setArray(2, connection.createArrayOf("uuid", tunnels));
            statement.setArray(3, connection.createArrayOf("uuid", tokens));
            statement.setArray(4, bigints(connection, consumed));
            statement.setArray(5, bigints(connection, want));
            statement.setArray(6, bigints(connection, bytesIn));
            statement.setArray(7, bigints(connection, bytesOut));
            statement.setArray(8, connection.createArrayOf("boolean", close));
            statement.setArray(9, connection.createArrayOf("text", keys));
            statement.setArray(10, connection.createArrayOf("text", requestIds));
            statement.setLong(11, lateReportWindow.toSeconds());
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    batch.get(row.getInt("ordinal") - 1).result.complete(result(row));
                }
            }
            for (Pending pending : batch) {
                pending.result.completeExceptionally(new IllegalStateException("settle_tunnels skipped a call"));
            }
        } catch (Throwable e) {
            // Whatever ended the batch (SQL, a driver bug, an Error), every caller in it gets an answer.
            RuntimeException failure = e instanceof RuntimeException runtime ? runtime
                    : new IllegalStateException("settle_tunnels failed", e);
            batch.forEach(p -> p.result.completeExceptionally(failure));
            if (e instanceof Error error) {
                throw error;
            }
        }
    }

    private static Array bigints(Connection connection, Long[] values) throws SQLException {
        return connection.createArrayOf("bigint", values);
    }

    private static Result result(ResultSet row) throws SQLException {
        return new Result(SettleOutcome.of(row.getString("outcome")), row.getLong("granted"), row.getLong("held"),
                row.getLong("returned"), row.getString("close_reason"), row.getString("scope"),
                row.getString("level"), row.getString("plan"), instant(row.getTimestamp("resets_at")),
                instant(row.getTimestamp("decided_at")), row.getString("request_id"), row.getBoolean("replayed"),
                row.getBoolean("late_refused"),
                new UsageWindows.Counters(row.getLong("day_used"), row.getLong("day_leased"),
                        row.getLong("day_limit"), row.getLong("month_used"), row.getLong("month_leased"),
                        row.getLong("month_limit")));
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
