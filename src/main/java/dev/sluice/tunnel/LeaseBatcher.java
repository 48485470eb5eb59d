package dev.sluice.tunnel;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.agroal.api.AgroalDataSource;

/**
 * Coalesces the settlements (leases and closes) of one account: the first caller to find no batch in flight
 * becomes the leader and runs everything queued for that account as one {@code settle_tunnels} statement; the
 * others wait for their row. One lock hand-off and one commit then serve a whole batch, which is what lets a hot
 * account keep pace with the database. Correctness does not depend on it: every settlement still runs under the
 * account's credit lock inside the database, so batches from several replicas serialise there.
 */
@ApplicationScoped
public class LeaseBatcher {

    static final int MAX_BATCH = 256;

    /** One settlement to make; {@code want} null means the lease chunk. */
    record Call(long accountId, UUID tunnelId, UUID tokenId, long consumed, Long want, long bytesIn, long bytesOut,
            boolean close) {
    }

    /** The database's answer for one call. */
    record Result(String outcome, long granted, long held, long returned, String closeReason, String scope,
            String level, String plan, Instant resetsAt, UsageWindows.Counters counters) {
    }

    private record Pending(Call call, CompletableFuture<Result> result) {
    }

    private static final class AccountQueue {
        final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
        final AtomicBoolean draining = new AtomicBoolean();
    }

    private final Map<Long, AccountQueue> queues = new ConcurrentHashMap<>();

    @Inject
    AgroalDataSource db;

    Result settle(Call call) {
        AccountQueue queue = queues.computeIfAbsent(call.accountId(), id -> new AccountQueue());
        Pending mine = new Pending(call, new CompletableFuture<>());
        queue.pending.add(mine);
        // Whoever wins the flag drains; after letting go it looks again, so nothing queued meanwhile is stranded.
        while (!queue.pending.isEmpty() && queue.draining.compareAndSet(false, true)) {
            try {
                List<Pending> batch = new ArrayList<>();
                for (Pending next; batch.size() < MAX_BATCH && (next = queue.pending.poll()) != null;) {
                    batch.add(next);
                }
                if (!batch.isEmpty()) {
                    run(call.accountId(), batch);
                }
            } finally {
                queue.draining.set(false);
            }
        }
        try {
            return mine.result().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : e;
        }
    }

    private void run(long accountId, List<Pending> batch) {
        try (Connection connection = db.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "select * from settle_tunnels(?, ?, ?, ?, ?, ?, ?, ?)")) {
            int size = batch.size();
            UUID[] tunnels = new UUID[size];
            UUID[] tokens = new UUID[size];
            Long[] consumed = new Long[size];
            Long[] want = new Long[size];
            Long[] bytesIn = new Long[size];
            Long[] bytesOut = new Long[size];
            Boolean[] close = new Boolean[size];
            for (int i = 0; i < size; i++) {
                Call call = batch.get(i).call();
                tunnels[i] = call.tunnelId();
                tokens[i] = call.tokenId();
                consumed[i] = call.consumed();
                want[i] = call.want();
                bytesIn[i] = call.bytesIn();
                bytesOut[i] = call.bytesOut();
                close[i] = call.close();
            }
            statement.setLong(1, accountId);
            statement.setArray(2, connection.createArrayOf("uuid", tunnels));
            statement.setArray(3, connection.createArrayOf("uuid", tokens));
            statement.setArray(4, bigints(connection, consumed));
            statement.setArray(5, bigints(connection, want));
            statement.setArray(6, bigints(connection, bytesIn));
            statement.setArray(7, bigints(connection, bytesOut));
            statement.setArray(8, connection.createArrayOf("boolean", close));
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    batch.get(row.getInt("ordinal") - 1).result().complete(result(row));
                }
            }
            for (Pending pending : batch) {
                pending.result().completeExceptionally(new IllegalStateException("settle_tunnels skipped a call"));
            }
        } catch (SQLException | RuntimeException e) {
            RuntimeException failure = new IllegalStateException("settle_tunnels failed", e);
            batch.forEach(p -> p.result().completeExceptionally(failure));
        }
    }

    private static Array bigints(Connection connection, Long[] values) throws SQLException {
        return connection.createArrayOf("bigint", values);
    }

    private static Result result(ResultSet row) throws SQLException {
        Timestamp resets = row.getTimestamp("resets_at");
        return new Result(row.getString("outcome"), row.getLong("granted"), row.getLong("held"),
                row.getLong("returned"), row.getString("close_reason"), row.getString("scope"),
                row.getString("level"), row.getString("plan"), resets == null ? null : resets.toInstant(),
                new UsageWindows.Counters(row.getLong("day_used"), row.getLong("day_leased"),
                        row.getLong("day_limit"), row.getLong("month_used"), row.getLong("month_leased"),
                        row.getLong("month_limit")));
    }
}
