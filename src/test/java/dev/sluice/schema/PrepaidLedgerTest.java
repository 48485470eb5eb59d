package dev.sluice.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sluice.money.SettleCall;
import dev.sluice.money.Settlement;
import dev.sluice.money.Settlements;

/**
 * Prepaid credit on the SQL functions themselves (db/functions/R__prepaid_credit.sql), on a migrated database of the
 * test's own: generated cases check the drawing order against a plain Java model of the contract's rules (§11), and
 * several connections at once (each what one replica does: every rule runs in the database under the account's
 * credit lock) lease, report, grant, void and let grants expire, after which the ledger and the balance agree exactly.
 */
class PrepaidLedgerTest {

    private static final AtomicLong NEXT_ACCOUNT = new AtomicLong(5000);
    private static final long LEASE_CHUNK = 50;
    private static final long CONCURRENT_MAX = 5;
    private static final long BOUND = LEASE_CHUNK * CONCURRENT_MAX;

    static ScratchDatabase database;
    static Connection connection;

    @BeforeAll
    static void migrate() throws SQLException {
        database = ScratchDatabase.create("sluice_prepaid_ledger").migrated();
        connection = database.connect();
    }

    @AfterAll
    static void drop() throws SQLException {
        connection.close();
        database.close();
    }

    /** A grant as the model sees it; {@code order} is its creation order. */
    static final class ModelGrant {
        final UUID id;
        final int priority;
        final Instant expiresAt;
        final boolean promotional;
        final int order;
        long remaining;

        ModelGrant(UUID id, long credits, int priority, Instant expiresAt, boolean promotional, int order) {
            this.id = id;
            this.remaining = credits;
            this.priority = priority;
            this.expiresAt = expiresAt;
            this.promotional = promotional;
            this.order = order;
        }
    }

    /** The contract's order: priority, soonest expiry (none last), promotional before paid, oldest. */
    static final Comparator<ModelGrant> DRAWING_ORDER = Comparator.<ModelGrant>comparingInt(g -> g.priority)
            .thenComparing(g -> g.expiresAt, Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(g -> !g.promotional)
            .thenComparingInt(g -> g.order);

    /** One consume entry the model expects: from a grant, or (grant null) a deficit. */
    record Consumed(UUID grant, long credits) {
    }

    /** The model's drawdown of one charge: grants in order, then a deficit down to -BOUND at most. */
    static List<Consumed> draw(List<ModelGrant> grants, long balance, long charge) {
        long left = Math.min(charge, Math.max(balance + BOUND, 0));
        List<Consumed> entries = new ArrayList<>();
        for (ModelGrant grant : grants.stream().filter(g -> g.remaining > 0).sorted(DRAWING_ORDER).toList()) {
            if (left == 0) {
                break;
            }
            long take = Math.min(left, grant.remaining);
            grant.remaining -= take;
            left -= take;
            entries.add(new Consumed(grant.id, -take));
        }
        if (left > 0) {
            entries.add(new Consumed(null, -left));
        }
        return entries;
    }

    @Test
    void theDrawdownFollowsTheContractsOrderInGeneratedCases() throws SQLException {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        Instant now = Instant.now();
        int[] priorities = {0, 50, 50, 100};
        for (int c = 0; c < 150; c++) {
            String label = "seed " + seed + ", case " + c;
            long account = prepaidAccount();
            List<ModelGrant> grants = new ArrayList<>();
            int count = 1 + random.nextInt(6);
            for (int i = 0; i < count; i++) {
                long credits = 1 + random.nextInt(200);
                int priority = priorities[random.nextInt(priorities.length)];
                Instant expiresAt = random.nextInt(3) == 0 ? null : now.plusSeconds(86_400L * (1 + random.nextInt(3)));
                boolean promotional = random.nextBoolean();
                UUID id = addGrant(connection, account, credits, promotional ? "promotional" : "paid", priority, null,
                        expiresAt);
                // Creation order as the model numbers it, whatever the clock's resolution.
                execute(connection, "update credit_grant set created_at = now() - interval '1 day' + ? * interval "
                        + "'1 second' where account_id = ? and grant_id = '" + id + "'", i, account);
                grants.add(new ModelGrant(id, credits, priority, expiresAt, promotional, i));
            }
            long balance = grants.stream().mapToLong(g -> g.remaining).sum();
            for (int d = 1 + random.nextInt(5); d > 0; d--) {
                if (random.nextInt(4) == 0) {
                    ModelGrant voided = grants.get(random.nextInt(grants.size()));
                    voidGrant(connection, account, voided.id);
                    balance -= voided.remaining;
                    voided.remaining = 0;
                }
                long charge = 1 + random.nextInt(300);
                long lastSeq = longOf(connection, "select ledger_seq from account_usage where account_id = ?", account);
                List<Consumed> expected = draw(grants, balance, charge);
                execute(connection, "select store_usage(draw_credits(?, lock_usage(?), ?, ?, null))", account, account,
                        charge, BOUND);
                balance += expected.stream().mapToLong(Consumed::credits).sum();
                assertEquals(expected, consumedAfter(account, lastSeq), label + ": a charge of " + charge);
                for (ModelGrant grant : grants) {
                    assertEquals(grant.remaining, longOf(connection, "select remaining from credit_grant where "
                            + "account_id = ? and grant_id = '" + grant.id + "'", account), label);
                }
                assertEquals(balance, balanceOf(account), label);
                assertEquals(balance, ledgerSum(account), label);
            }
        }
    }

    @Test
    void theLedgerSumsToTheBalanceAfterConcurrentLeasesGrantsVoidsAndExpiry() throws Exception {
        long account = prepaidAccount();
        addGrant(connection, account, 500, "paid", 50, null, null);
        int leasers = 3;
        long until = System.nanoTime() + 5_000_000_000L;
        ConcurrentLinkedDeque<UUID> grants = new ConcurrentLinkedDeque<>();
        ExecutorService pool = Executors.newFixedThreadPool(leasers + 1);
        List<Future<Long>> work = new ArrayList<>();
        for (int w = 0; w < leasers; w++) {
            long seed = w;
            work.add(pool.submit(() -> lease(account, seed, until)));
        }
        work.add(pool.submit(() -> {
            Random random = new Random(99);
            long moves = 0;
            try (Connection own = database.connect()) {
                while (System.nanoTime() < until) {
                    Instant now = Instant.now();
                    switch (random.nextInt(4)) {
                        case 0 -> grants.add(addGrant(own, account, 1 + random.nextInt(2000), "paid",
                                random.nextInt(3) * 50, null, now.plusMillis(200 + random.nextInt(1500))));
                        case 1 -> grants.add(addGrant(own, account, 1 + random.nextInt(300), "promotional", 50,
                                now.plusMillis(100 + random.nextInt(800)), null));
                        case 2 -> {
                            UUID victim = grants.pollLast();
                            if (victim != null) {
                                voidGrant(own, account, victim);
                            }
                        }
                        default -> execute(own, "select apply_due_grants(?)", account);
                    }
                    moves++;
                    Thread.sleep(random.nextInt(20));
                }
            }
            return moves;
        }));
        long calls = 0;
        for (Future<Long> done : work) {
            calls += done.get();
        }
        pool.shutdown();
        Thread.sleep(1_600);
        execute(connection, "select apply_due_grants(?)", account);

        long balance = balanceOf(account);
        assertTrue(calls > 100, "the run made " + calls + " calls");
        assertEquals(4, longOf(connection, "select count(distinct kind) from credit_ledger where account_id = ?",
                account), "grants entered, were drawn, voided and expired meanwhile: " + kinds(account));
        assertEquals(balance, ledgerSum(account), "the entries sum to the balance");
        assertEquals(0, longOf(connection, """
                select count(*) from (select balance, sum(credits) over (order by seq) as running,
                                             seq, row_number() over (order by seq) as n
                                        from credit_ledger where account_id = ?) e
                 where balance <> running or seq <> n""", account), "each entry's balance is the running sum");
        assertTrue(longOf(connection, "select min(balance) from credit_ledger where account_id = ?", account) >= -BOUND,
                "never below the overshoot bound");
        long active = longOf(connection, "select coalesce(sum(remaining), 0) from credit_grant where account_id = ? "
                + "and state = 'active'", account);
        assertEquals(Math.max(balance, 0), active, "what the grants hold is the balance, or nothing in a deficit");
        assertEquals(0, longOf(connection, "select count(*) from credit_grant where account_id = ? and state in "
                + "('expired', 'voided') and remaining <> 0", account), "nothing stranded in an ended grant");
        long consumed = -longOf(connection, "select coalesce(sum(credits), 0) from credit_ledger where account_id = ? "
                + "and kind = 'consume'", account);
        long billed = longOf(connection, "select u.month_used + coalesce((select sum(d.credit) from usage_daily d "
                + "where d.account_id = u.account_id and d.day < u.month_start), 0) from account_usage u "
                + "where u.account_id = ?", account);
        assertEquals(billed, consumed, "what was billed was drawn, once");
        assertEquals(longOf(connection, "select coalesce(sum(held), 0) from tunnel where account_id = ?", account),
                longOf(connection, "select day_leased from account_usage where account_id = ?", account),
                "what the tunnels hold is what the account has leased");
    }

    /** One replica's leases on two tunnels of its own: reports of what it held, and now and then more. */
    private static long lease(long account, long seed, long until) throws SQLException {
        Random random = new Random(seed);
        long calls = 0;
        try (Connection own = database.connect()) {
            UUID[] tunnels = {tunnel(own, account), tunnel(own, account)};
            long[] held = new long[tunnels.length];
            while (System.nanoTime() < until) {
                int t = random.nextInt(tunnels.length);
                long consumed = random.nextInt(5) == 0 ? held[t] + random.nextInt(80) : random.nextLong(held[t] + 1);
                Settlement[] answer = Settlements.settle(own, account, List.of(new SettleCall(account, tunnels[t], null,
                        consumed, null, 0, 0, false, null, UUID.randomUUID().toString())), 60);
                held[t] = answer[0].held();
                calls++;
            }
        }
        return calls;
    }

    private static long prepaidAccount() throws SQLException {
        long id = NEXT_ACCOUNT.incrementAndGet();
        String slug = "prepaid-" + id;
        execute(connection, "insert into account (account_id, slug, plan, day_limit, month_limit, concurrent_max, "
                + "lease_chunk, funding) values (?, '" + slug + "', 'pro', 1000000000, 1000000000, ?, ?, 'prepaid')",
                id, CONCURRENT_MAX, LEASE_CHUNK);
        execute(connection, "insert into account_slug (slug, account_id) values ('" + slug + "', ?)", id);
        execute(connection, "insert into account_usage (account_id, day_start, month_start) values (?, (now() at time "
                + "zone 'utc')::date, date_trunc('month', now() at time zone 'utc')::date)", id);
        return id;
    }

    private static UUID tunnel(Connection on, long account) throws SQLException {
        UUID id = UUID.randomUUID();
        execute(on, "insert into tunnel (account_id, tunnel_id, subdomain, password_protected) values (?, '" + id
                + "', 'p-" + id.toString().substring(0, 8) + "', false)", account);
        return id;
    }

    private static UUID addGrant(Connection on, long account, long credits, String category, int priority,
            Instant effectiveAt, Instant expiresAt) throws SQLException {
        try (PreparedStatement s = on.prepareStatement("select * from add_grant(?, ?, ?, ?, ?, ?, null, 'root', null, "
                + "null, null, null)")) {
            s.setLong(1, account);
            s.setLong(2, credits);
            s.setString(3, category);
            s.setInt(4, priority);
            s.setTimestamp(5, effectiveAt == null ? null : Timestamp.from(effectiveAt));
            s.setTimestamp(6, expiresAt == null ? null : Timestamp.from(expiresAt));
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next());
                assertEquals("created", r.getString("outcome"));
                return r.getObject("grant_id", UUID.class);
            }
        }
    }

    private static void voidGrant(Connection on, long account, UUID grant) throws SQLException {
        try (PreparedStatement s = on.prepareStatement("select * from void_grant(?, ?, null, null)")) {
            s.setLong(1, account);
            s.setObject(2, grant);
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next());
            }
        }
    }

    /** The consume entries after seq {@code after}, in order. */
    private static List<Consumed> consumedAfter(long account, long after) throws SQLException {
        List<Consumed> entries = new ArrayList<>();
        try (PreparedStatement s = connection.prepareStatement("select grant_id, credits from credit_ledger where "
                + "account_id = ? and seq > ? and kind = 'consume' order by seq")) {
            s.setLong(1, account);
            s.setLong(2, after);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    entries.add(new Consumed(r.getObject("grant_id", UUID.class), r.getLong("credits")));
                }
            }
        }
        return entries;
    }

    private static String kinds(long account) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("select string_agg(kind || ' ' || n, ', ') as kinds "
                + "from (select kind, count(*) as n from credit_ledger where account_id = ? group by kind) k")) {
            s.setLong(1, account);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getString("kinds");
            }
        }
    }

    private static long balanceOf(long account) throws SQLException {
        return longOf(connection, "select balance from account_usage where account_id = ?", account);
    }

    private static long ledgerSum(long account) throws SQLException {
        return longOf(connection, "select coalesce(sum(credits), 0) from credit_ledger where account_id = ?", account);
    }

    private static void execute(Connection on, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement s = on.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                s.setObject(i + 1, parameters[i]);
            }
            s.execute();
        }
    }

    /** The one value the query answers, its first parameter the account. */
    private static long longOf(Connection on, String sql, long account) throws SQLException {
        try (PreparedStatement s = on.prepareStatement(sql)) {
            s.setLong(1, account);
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next());
                return r.getLong(1);
            }
        }
    }
}
