package dev.sluice.tunnel;

import static dev.sluice.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import dev.sluice.money.AccountTurns;
import dev.sluice.money.SettleCall;
import dev.sluice.money.SettleOutcome;
import dev.sluice.money.Settlement;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/**
 * However long an account's database work takes, its leases and registrations are answered within a bounded time,
 * and every other account is served meanwhile.
 */
@QuarkusTest
class AccountTurnsTest {

    @Inject
    AgroalDataSource db;
    @Inject
    AccountTurns turns;
    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String url;
    @ConfigProperty(name = "quarkus.datasource.username")
    String user;

    @Test
    void leasesQueuedBehindABlockedBatchAreWithdrawnAndAnswered503AndNothingIsChargedForThem() throws Exception {
        Relay relay = Relay.create("batch-wait", Map.of("plan", "pro", "dayLimit", 10_000));
        List<String> tunnels = List.of(relay.open(), relay.open(), relay.open(), relay.open());
        List<CompletableFuture<Response>> answers;
        try (Connection blocker = db.getConnection()) {
            holdCreditLock(blocker, relay.slug());
            CompletableFuture<Response> leader = CompletableFuture.supplyAsync(() -> relay.lease(tunnels.get(0), null, null));
            Thread.sleep(500); // the leader's batch is now waiting at the database for the credit lock
            answers = tunnels.subList(1, 4).stream()
                    .map(t -> CompletableFuture.supplyAsync(() -> relay.lease(t, null, null))).toList();
            for (CompletableFuture<Response> queued : answers) {
                Response answer = queued.get(30, TimeUnit.SECONDS);
                assertEquals(503, answer.statusCode(), answer.asString());
                assertEquals("UNAVAILABLE", answer.path("code"));
            }
            blocker.rollback();
            Response first = leader.get(30, TimeUnit.SECONDS);
            assertEquals(200, first.statusCode(), first.asString());
        }
        relay.tunnels().then().statusCode(200);
        Response usage = as(relay.api()).get("/v1/usage");
        assertEquals(50, (int) usage.path("day.leased"), "only the leader's lease was granted");
        for (String tunnel : tunnels.subList(1, 4)) {
            assertTrue(relay.lease(tunnel, null, null).statusCode() == 200, "the account works again");
        }
    }

    @Test
    void callersOfABatchCutOffFromTheDatabaseAreAnswered503WithTheirOwnRequestIds() throws Exception {
        Relay relay = Relay.create("batch-cut", Map.of("plan", "pro", "dayLimit", 10_000));
        List<String> tunnels = List.of(relay.open(), relay.open(), relay.open());
        List<CompletableFuture<Response>> answers = new ArrayList<>();
        // The watcher reads pg_stat_activity in autocommit: inside a transaction it would see one snapshot of it.
        try (Connection blocker = db.getConnection(); Connection watcher = db.getConnection()) {
            holdCreditLock(blocker, relay.slug());
            answers.add(CompletableFuture.supplyAsync(() -> relay.lease(tunnels.get(0), null, null)));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (waitingBatches(watcher).isEmpty()) {
                assertTrue(System.nanoTime() < until, "the leader's batch waits for the credit lock");
                Thread.sleep(20);
            }
            // Two more queue behind the leader's batch and form the next one, which the queue runs on another thread.
            answers.add(CompletableFuture.supplyAsync(() -> relay.lease(tunnels.get(1), null, null)));
            answers.add(CompletableFuture.supplyAsync(() -> relay.lease(tunnels.get(2), null, null)));
            Thread.sleep(300);
            // Cut every batch waiting for the credit lock, as a database restart would, until every caller has its
            // answer: the leader's batch first, then its followers'.
            until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!answers.stream().allMatch(CompletableFuture::isDone) && System.nanoTime() < until) {
                for (long pid : waitingBatches(watcher)) {
                    try (PreparedStatement cut = watcher.prepareStatement("select pg_terminate_backend(?)")) {
                        if (citus(watcher)) {
                            cut.setLong(1, pid); // a global pid: Citus's pg_terminate_backend(bigint)
                        } else {
                            cut.setInt(1, Math.toIntExact(pid));
                        }
                        cut.executeQuery();
                    }
                }
                Thread.sleep(20);
            }
            blocker.rollback();
        }
        for (CompletableFuture<Response> answer : answers) {
            Response response = answer.get(30, TimeUnit.SECONDS);
            assertEquals(503, response.statusCode(), response.asString());
            assertEquals("UNAVAILABLE", response.path("code"));
            assertEquals(response.header("X-Request-Id"), response.path("requestId"),
                    "the body names the request it answers");
        }
        assertEquals(200, relay.lease(tunnels.get(0), null, null).statusCode(), "the account works again");
    }

    @Test
    void accountsBeyondTheSlotsAtTheDatabaseWaitTheirTurnAndEveryOneIsAnswered() throws Exception {
        List<SettleCall> calls = new ArrayList<>();
        Long[] locked = new Long[turns.slots()];
        try (Connection c = db.getConnection()) {
            for (int i = 0; i <= turns.slots(); i++) {
                Relay relay = Relay.create("batch-slot", Map.of("plan", "pro", "dayLimit", 10_000));
                long account = accountId(c, relay.slug());
                calls.add(new SettleCall(account, UUID.fromString(relay.open()), null, 0, null, 0,
                        0, false, null, null));
                if (i < turns.slots()) {
                    locked[i] = account;
                }
            }
        }
        // A caller that gets a slot runs its batch on its own thread, so each call is made from a thread of its own.
        ExecutorService callers = Executors.newFixedThreadPool(calls.size());
        // The test's own connections come from outside the service's pool, so the pool has room for a seventh batch
        // and only the slots can hold it back.
        try (Connection blocker = DriverManager.getConnection(url, user, null);
                Connection watcher = DriverManager.getConnection(url, user, null)) {
            blocker.setAutoCommit(false);
            // One statement per account: on Citus a FOR UPDATE goes to one shard.
            for (Long account : locked) {
                try (PreparedStatement lock = blocker.prepareStatement(
                        "select 1 from account_usage where account_id = ? for update")) {
                    lock.setLong(1, account);
                    lock.executeQuery();
                }
            }
            // Every slot is taken by a batch waiting for its account's credit lock.
            List<CompletableFuture<Settlement>> first = calls.subList(0, turns.slots()).stream()
                    .map(call -> CompletableFuture.supplyAsync(() -> turns.settle(call).join(), callers)).toList();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (waitingBatches(watcher).size() < turns.slots()) {
                assertTrue(System.nanoTime() < until, "each blocked account's batch waits at the database");
                Thread.sleep(20);
            }
            CompletableFuture<Settlement> beyond = CompletableFuture.supplyAsync(
                    () -> turns.settle(calls.get(turns.slots())).join(), callers);
            Thread.sleep(300); // well inside the test's 2 s LEASE_WAIT, which the waiting call must not reach
            assertFalse(beyond.isDone(), "an account nothing locks still waits for a slot");
            blocker.rollback();
            for (CompletableFuture<Settlement> answer : first) {
                assertEquals(SettleOutcome.OK, answer.get(30, TimeUnit.SECONDS).outcome());
            }
            Settlement last = beyond.get(30, TimeUnit.SECONDS);
            assertEquals(SettleOutcome.OK, last.outcome(), "the waiting account ran once a slot was free");
            assertEquals(50, last.granted());
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void oneAccountsRegistrationsStuckOnItsCreditLockHoldOneConnectionAndLeaveTheRestToOtherAccounts()
            throws Exception {
        Relay stuck = Relay.create("turn-stuck", Map.of("plan", "pro", "dayLimit", 10_000));
        Relay other = Relay.create("turn-other", Map.of("plan", "pro", "dayLimit", 10_000));
        String otherTunnel = other.open();
        // More registrations than the service has worker threads (16) and connections (8) together.
        int piled = 30;
        ExecutorService callers = Executors.newFixedThreadPool(piled);
        try (Connection blocker = DriverManager.getConnection(url, user, null);
                Connection watcher = DriverManager.getConnection(url, user, null)) {
            holdCreditLock(blocker, stuck.slug());
            List<CompletableFuture<Response>> registrations = new ArrayList<>();
            for (int i = 0; i < piled; i++) {
                registrations.add(CompletableFuture.supplyAsync(() -> stuck.register(Map.of()), callers));
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (waitingForCreditLocks(watcher) == 0) {
                assertTrue(System.nanoTime() < until, "the account's first registration waits for its credit lock");
                Thread.sleep(20);
            }
            Response lease = other.lease(otherTunnel, null, null);
            assertEquals(200, lease.statusCode(), lease.asString());
            other.register(Map.of()).then().statusCode(201);
            as(other.api()).get("/v1/usage").then().statusCode(200);
            assertEquals(1, waitingForCreditLocks(watcher), "the stuck account holds one connection, not all of them");

            until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (registrations.stream().filter(CompletableFuture::isDone).count() < piled - 1) {
                assertTrue(System.nanoTime() < until, "every queued registration is answered at LEASE_WAIT");
                Thread.sleep(20);
            }
            for (CompletableFuture<Response> answer : registrations) {
                if (answer.isDone()) {
                    Response withdrawn = answer.join();
                    assertEquals(503, withdrawn.statusCode(), withdrawn.asString());
                    assertEquals("UNAVAILABLE", withdrawn.path("code"));
                    assertEquals(withdrawn.header("X-Request-Id"), withdrawn.path("requestId"));
                }
            }
            blocker.rollback();
            Response first = registrations.stream().filter(answer -> !answer.isDone()).findFirst().orElseThrow()
                    .get(30, TimeUnit.SECONDS);
            assertEquals(201, first.statusCode(), "the one at the database registers once the lock is free");
        } finally {
            callers.shutdownNow();
        }
        as(stuck.api()).get("/v1/usage").then().body("day.used", equalTo(1)); // only the registration that ran
        stuck.tunnels().then().body("tunnels.size()", equalTo(1));
    }

    @Test
    void registrationsQueuedBehindTheirAccountsTurnRunInTurnsOnceItEnds() throws Exception {
        Relay relay = Relay.create("turn-queued", Map.of("plan", "pro", "dayLimit", 10_000));
        List<Response> registrations = inTurnsBehindTheLock(relay,
                i -> relay.register(Map.of("subdomain", relay.slug() + "-r" + i)));
        registrations.forEach(r -> assertEquals(201, r.statusCode(), r.asString()));
        as(relay.api()).get("/v1/usage").then().body("day.used", equalTo(3));
        relay.tunnels().then().body("tunnels.size()", equalTo(3));
        auditedUnderTheirRequests(relay, "subdomain.reserve", registrations);
    }

    @Test
    void anOwnersCallsThatTakeTheCreditLockRunInItsTurnsAuditedAsTheirRequests() throws Exception {
        Relay relay = Relay.create("owner-queued", Map.of("plan", "pro", "dayLimit", 10_000));
        List<Response> reservations = inTurnsBehindTheLock(relay,
                i -> as(relay.service()).body(Map.of("name", relay.slug() + "-s" + i)).post("/v1/subdomains"));
        reservations.forEach(r -> assertEquals(201, r.statusCode(), r.asString()));
        auditedUnderTheirRequests(relay, "subdomain.reserve", reservations);
        // Pro allows one worker: the two after it are refused inside their turns, and the refusals are audited too.
        List<Response> workers = inTurnsBehindTheLock(relay,
                i -> as(relay.service()).body(Map.of("name", "w" + i)).post("/v1/workers"));
        assertEquals(List.of(201, 403, 403), workers.stream().map(Response::statusCode).sorted().toList());
        auditedUnderTheirRequests(relay, "worker.create", workers);
        List<String> tokens = List.of(1, 2, 3).stream().map(i -> as(relay.service()).body(Map.of("kind", "api"))
                .post("/admin/accounts/" + relay.slug() + "/tokens").then().statusCode(201).extract()
                .<String>path("id")).toList();
        List<Response> revocations = inTurnsBehindTheLock(relay,
                i -> as(relay.service()).delete("/admin/accounts/" + relay.slug() + "/tokens/" + tokens.get(i)));
        revocations.forEach(r -> assertEquals(200, r.statusCode(), r.asString()));
        auditedUnderTheirRequests(relay, "token.revoke", revocations);
        List<Response> suspensions = inTurnsBehindTheLock(relay,
                i -> as(relay.service()).post("/admin/accounts/" + relay.slug() + "/suspend"));
        suspensions.forEach(r -> assertEquals(200, r.statusCode(), r.asString()));
        auditedUnderTheirRequests(relay, "account.suspend", suspensions);
    }

    /**
     * Makes three calls of the account while its credit lock is held, proves only the first is at the database (the
     * other two wait in its queue), then lets the lock go: the two run in turns of their own, on runner threads.
     */
    private List<Response> inTurnsBehindTheLock(Relay relay, IntFunction<Response> call) throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(3);
        List<CompletableFuture<Response>> answers = new ArrayList<>();
        try (Connection blocker = DriverManager.getConnection(url, user, null);
                Connection watcher = DriverManager.getConnection(url, user, null)) {
            holdCreditLock(blocker, relay.slug());
            answers.add(CompletableFuture.supplyAsync(() -> call.apply(0), callers));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (waitingForCreditLocks(watcher) == 0) {
                assertTrue(System.nanoTime() < until, "the first call waits for the credit lock");
                Thread.sleep(20);
            }
            for (int i = 1; i < 3; i++) {
                int index = i;
                answers.add(CompletableFuture.supplyAsync(() -> call.apply(index), callers));
            }
            Thread.sleep(300); // the other two are queued behind its turn by now, well inside the 2 s LEASE_WAIT
            assertEquals(1, waitingForCreditLocks(watcher), "one call of the account at the database at a time");
            blocker.rollback();
        } finally {
            callers.shutdown();
        }
        List<Response> responses = new ArrayList<>();
        for (CompletableFuture<Response> answer : answers) {
            responses.add(answer.get(30, TimeUnit.SECONDS));
        }
        return responses;
    }

    /** Each call is audited under the request that made it, whichever thread ran its turn. */
    private static void auditedUnderTheirRequests(Relay relay, String action, List<Response> calls) {
        as(relay.service()).get("/admin/audit").then().body("entries.findAll { it.action == '" + action + "' }"
                + ".requestId", containsInAnyOrder(calls.stream().map(r -> r.header("X-Request-Id")).toArray()));
    }

    /** Backends of calls other than settlements waiting for a credit lock (taken by lock_usage or close_tunnels). */
    private static int waitingForCreditLocks(Connection c) throws Exception {
        return waitingFor(c, "%lock_usage%", "%close_tunnels%").size();
    }

    /** Backends running a batch that waits for a lock. */
    private static List<Long> waitingBatches(Connection c) throws Exception {
        return waitingFor(c, "select s.ordinal%settle_tunnels%", "select s.ordinal%settle_tunnels%");
    }

    /**
     * The (global) process ids of the service's statements like either pattern that wait for a lock. On Citus the
     * wait happens on a worker, for a statement the coordinator sent on the service's behalf: citus_lock_waits names
     * the service's statement and its global pid, which pg_terminate_backend takes too.
     */
    private static List<Long> waitingFor(Connection c, String pattern, String orPattern) throws Exception {
        String sql = citus(c)
                ? "select distinct waiting_gpid as pid from citus_lock_waits"
                        + " where blocked_statement like ? or blocked_statement like ?"
                : "select pid from pg_stat_activity where wait_event_type = 'Lock' and (query like ? or query like ?)";
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, pattern);
            s.setString(2, orPattern);
            try (ResultSet rows = s.executeQuery()) {
                List<Long> pids = new ArrayList<>();
                while (rows.next()) {
                    pids.add(rows.getLong("pid"));
                }
                return pids;
            }
        }
    }

    private static boolean citus(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet row = s.executeQuery("select count(*) as citus from pg_extension where extname = 'citus'")) {
            row.next();
            return row.getInt("citus") > 0;
        }
    }

    @Test
    void whenABatchFailsEveryCallerInItGetsTheFailureAndTheNextBatchRuns() throws Exception {
        Relay relay = Relay.create("batch-fail", Map.of("plan", "pro", "dayLimit", 10_000));
        String tunnel = relay.open();
        long account;
        try (Connection c = db.getConnection()) {
            account = accountId(c, relay.slug());
        }
        SettleCall call = new SettleCall(account, UUID.fromString(tunnel), null, 0, null, 0,
                0, false, null, null);
        rename("settle_tunnels", "settle_tunnels_away");
        try {
            List<Throwable> failures = dev.sluice.Race.run(6, i -> () -> {
                try {
                    turns.settle(call).join();
                    return null;
                } catch (RuntimeException e) {
                    return e;
                }
            });
            for (Throwable failure : failures) {
                assertTrue(failure != null && String.valueOf(failure.getCause()).contains("settle_tunnels"),
                        String.valueOf(failure));
            }
        } finally {
            rename("settle_tunnels_away", "settle_tunnels");
        }
        assertEquals(SettleOutcome.OK, turns.settle(call).join().outcome(), "the account's queue is not left stuck");
    }

    @Test
    void aCreditLockWhoseTransactionFellSilentIsReleasedByTheDatabase() throws Exception {
        Relay relay = Relay.create("stranded", Map.of("plan", "pro", "dayLimit", 10_000));
        String tunnel = relay.open();
        // A connection of the service's own pool, with its settings, as a replica cut off mid-transaction leaves it:
        // the account's credit lock taken, then nothing more from the client.
        Connection stranded = db.getConnection();
        try {
            try (Statement show = stranded.createStatement();
                    ResultSet timeout = show.executeQuery("show idle_in_transaction_session_timeout")) {
                timeout.next();
                assertEquals("10s", timeout.getString(1));
            }
            holdCreditLock(stranded, relay.slug());
            // This lease's batch goes to the database at once and waits there for the lock, for as long as it is held.
            Response lease = CompletableFuture.supplyAsync(() -> relay.lease(tunnel, null, null))
                    .get(40, TimeUnit.SECONDS);
            assertEquals(200, lease.statusCode(), "the database ended the silent transaction and its lock went");
            assertEquals(50, (int) lease.path("granted"));
            SQLException ended = assertThrows(SQLException.class, () -> stranded.createStatement().execute("select 1"));
            assertTrue(ended.getMessage().contains("idle-in-transaction timeout"), ended.getMessage());
        } finally {
            stranded.close(); // broken: the pool drops it
        }
    }

    /**
     * Opens a transaction on {@code blocker} that holds the account's credit lock until it ends. By account id, not
     * through a join on the slug: on Citus a lock is taken on one shard only.
     */
    private static void holdCreditLock(Connection blocker, String slug) throws Exception {
        blocker.setAutoCommit(false);
        try (PreparedStatement lock = blocker.prepareStatement(
                "select 1 from account_usage where account_id = ? for update")) {
            lock.setLong(1, accountId(blocker, slug));
            lock.executeQuery();
        }
    }

    private static long accountId(Connection c, String slug) throws Exception {
        try (PreparedStatement s = c.prepareStatement("select account_id from account_slug where slug = ?")) {
            s.setString(1, slug);
            try (var row = s.executeQuery()) {
                row.next();
                return row.getLong("account_id");
            }
        }
    }

    private void rename(String from, String to) throws Exception {
        try (Connection c = db.getConnection(); java.sql.Statement s = c.createStatement()) {
            s.execute("alter function " + from + " rename to " + to);
        }
    }
}
