package dev.sluice.reconcile;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static dev.sluice.Api.createAccount;
import static dev.sluice.Api.uniqueSlug;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import dev.sluice.account.Accounts;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.agroal.api.AgroalDataSource;
import io.quarkus.scheduler.Scheduler;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class DowngradeTest {

    @Inject
    ReconcileJob job;
    @Inject
    Reconciler reconciler;
    @Inject
    AgroalDataSource db;
    @Inject
    Scheduler scheduler;

    @Test
    void leavingProKeepsTheNewestTunnelNoReservationAndQuarantinesTheWorker() throws Exception {
        String slug = uniqueSlug("downgrade");
        String service = createAccount(slug, Map.of("plan", "pro", "dayLimit", 10_000)).path("serviceToken");
        String api = Api.apiToken(slug, service);
        String oldest = open(api, slug + "-a");
        String middle = open(api, slug + "-b");
        Thread.sleep(5);
        String newest = open(api, null);
        String worker = as(service).body(Map.of("name", "thumbs")).post("/v1/workers").then().statusCode(201)
                .extract().path("id");
        as(service).get("/v1/subdomains").then().body("subdomains", hasSize(2));

        as(service).queryParam("plan", "free").get("/admin/accounts/" + slug + "/plan-preview").then().statusCode(200)
                .body("plan", equalTo("free"))
                .body("tunnels.id", equalTo(List.of(oldest, middle)))
                .body("subdomains.name", equalTo(List.of(slug + "-b", slug + "-a")))
                .body("workers.id", equalTo(List.of(worker)));
        as(service).get("/v1/tunnels").then().body("tunnels", hasSize(3));

        // An endpoint that wants plan.downgraded (written directly: the API refuses loopback targets here, and the
        // sender refuses them again, so nothing is sent).
        execute("insert into webhook_endpoint (account_id, endpoint_id, url, events, secret) select account_id, "
                + "gen_random_uuid(), 'http://127.0.0.1:9/x', '{plan.downgraded}', 'whsec_x' from account where slug = ?",
                slug);
        as(service).body(Map.of("plan", "free")).put("/admin/accounts/" + slug + "/plan").then().statusCode(403);
        asRoot().body(Map.of("plan", "gold")).put("/admin/accounts/" + slug + "/plan").then().statusCode(400)
                .body("field", equalTo("plan"));
        asRoot().body(Map.of("plan", "free")).put("/admin/accounts/" + slug + "/plan").then().statusCode(200)
                .body("ok", equalTo(true)).body("account.plan", equalTo("free"));

        as(api).body(Map.of()).post("/v1/tunnels/" + oldest + "/lease").then().statusCode(410)
                .body("reason", equalTo("plan_downgrade"));
        as(api).body(Map.of()).post("/v1/tunnels/" + middle + "/lease").then().statusCode(410);
        as(api).body(Map.of()).post("/v1/tunnels/" + newest + "/lease").then().statusCode(200);
        as(service).get("/v1/subdomains").then().body("subdomains", hasSize(0));
        assertEquals(2, count("select count(*) from subdomain_release r join account a using (account_id) "
                + "where a.slug = ? and r.released_at > now() - interval '1 minute'", slug),
                "the released names start their cool-off");
        as(service).get("/v1/workers").then().body("workers[0].status", equalTo("quarantined"));
        as(service).queryParam("plan", "free").get("/admin/accounts/" + slug + "/plan-preview").then()
                .body("tunnels", hasSize(0)).body("subdomains", hasSize(0)).body("workers", hasSize(0));
        assertEquals(1, downgradedEvents(slug), "one plan.downgraded event is queued");

        long auditBefore = auditCount(slug);
        Reconciler.Result again = QuarkusTransaction.requiringNew()
                .call(() -> reconciler.reconcile(Accounts.lock(slug)));
        assertEquals(new Reconciler.Result(0, List.of(), 0, 0, 0), again, "a second reconciliation changes nothing");
        job.runOnce();
        assertEquals(auditBefore, auditCount(slug), "and writes nothing");
        as(api).body(Map.of()).post("/v1/tunnels/" + newest + "/lease").then().statusCode(200);
        as(service).get("/v1/workers").then().body("workers[0].status", equalTo("quarantined"));
        asRoot().queryParam("account", slug).get("/admin/audit").then()
                .body("entries.find { it.action == 'reconcile' }.actor.tokenId", equalTo("reconciler"));

        asRoot().body(Map.of("plan", "pro")).put("/admin/accounts/" + slug + "/plan").then().statusCode(200);
        as(service).get("/v1/workers").then().body("workers[0].status", equalTo("active"))
                .body("workers[0].quarantinedAt", equalTo(null));
    }

    @Test
    void theScheduledReconcilerFixesAnAccountThatDrifted() throws Exception {
        String slug = uniqueSlug("drift");
        String service = createAccount(slug, Map.of("plan", "pro", "dayLimit", 10_000)).path("serviceToken");
        String api = Api.apiToken(slug, service);
        String first = open(api, null);
        String second = open(api, null);
        open(api, null);
        execute("insert into webhook_endpoint (account_id, endpoint_id, url, events, secret) select account_id, "
                + "gen_random_uuid(), 'http://127.0.0.1:9/x', '{tunnel.closed}', 'whsec_x' from account where slug = ?",
                slug);
        execute("update account set plan = 'free' where slug = ?", slug);
        job.runOnce();
        as(api).body(Map.of()).post("/v1/tunnels/" + first + "/lease").then().statusCode(410)
                .body("reason", equalTo("plan_downgrade"));
        as(service).get("/v1/tunnels").then().body("tunnels", hasSize(1));
        assertEquals(List.of(first, second).stream().sorted().toList(), strings("select e.data ->> 'tunnelId' from "
                + "webhook_event e join account a using (account_id) where a.slug = ? and e.type = 'tunnel.closed' "
                + "and e.data ->> 'reason' = 'plan_downgrade' and e.data ->> 'subdomain' is not null order by 1", slug),
                "one tunnel.closed event per closed tunnel, each queued for the endpoint");
        assertEquals(2, count("select count(*) from webhook_delivery d join account a using (account_id) "
                + "where a.slug = ?", slug));
        assertEquals(List.of("system reconciler plan:free ok closedTunnels=2 releasedSubdomains=[] "
                + "quarantinedWorkers=0 restoredWorkers=0 purgedWorkers=0"), strings("select actor_kind || ' ' || "
                + "actor_id || ' ' || target || ' ' || outcome || ' ' || detail from audit_entry e join account a "
                + "using (account_id) where a.slug = ? and e.action = 'reconcile'", slug),
                "the scheduled reconciler's audit entry, on the account's id");
    }

    @Test
    void workersQuarantinedForThirtyDaysArePurged() throws Exception {
        String slug = uniqueSlug("purge");
        String service = createAccount(slug, Map.of("plan", "pro")).path("serviceToken");
        as(service).body(Map.of("name", "old-worker")).post("/v1/workers").then().statusCode(201);
        asRoot().body(Map.of("plan", "free")).put("/admin/accounts/" + slug + "/plan").then().statusCode(200);
        as(service).get("/v1/workers").then().body("workers[0].status", equalTo("quarantined"));
        execute("update worker set quarantined_at = now() - interval '29 days' "
                + "where account_id = (select account_id from account where slug = ?)", slug);
        job.runOnce();
        as(service).get("/v1/workers").then().body("workers", hasSize(1));
        execute("update worker set quarantined_at = now() - interval '31 days' "
                + "where account_id = (select account_id from account where slug = ?)", slug);
        job.runOnce();
        as(service).get("/v1/workers").then().body("workers", hasSize(0));
    }

    /**
     * The scheduled reconciler's call on several accounts: each in a transaction of its own, so one another
     * transaction holds is skipped, one that fails after closing its tunnels is rolled back alone, and the rest are
     * reconciled; the next call does the two, each in a transaction that starts after the one before committed.
     */
    @Test
    void oneCallReconcilesEachAccountInItsOwnTransaction() throws Exception {
        String busy = withThreeTunnels("chunk-busy");
        String failing = withThreeTunnels("chunk-failing");
        String fine = withThreeTunnels("chunk-fine");
        List<Long> ids = List.of(accountId(busy), accountId(failing), accountId(fine));
        scheduler.pause("reconciler"); // its own rounds could take these accounts first
        try (Connection holder = db.getConnection(); Connection ddl = db.getConnection();
                Statement schema = ddl.createStatement()) {
            // The failing account's audit entry is refused: it is written after the account's tunnels are closed,
            // so only a rollback leaves them open.
            // On Citus a trigger on a distributed table (created on each shard) must be asked for by name.
            schema.execute("select set_config('citus.enable_unsafe_triggers', 'on', false) "
                    + "from pg_extension where extname = 'citus'");
            schema.execute("create function refuse_for_test() returns trigger language plpgsql as $$ begin "
                    + "raise exception 'refused for the test'; end $$");
            try {
                schema.execute("create trigger refuse_for_test before insert on audit_entry for each row "
                        + "when (new.account_id = " + ids.get(1) + ") execute function refuse_for_test()");
                // Each account's row is written by its key, as the service writes it (on Citus, one shard's row).
                holder.setAutoCommit(false);
                try (PreparedStatement drift = holder.prepareStatement(
                        "update account set plan = 'free' where account_id = ?")) {
                    drift.setLong(1, ids.get(0));
                    drift.executeUpdate();
                }
                for (long drifted : ids.subList(1, 3)) {
                    try (Connection c = db.getConnection(); PreparedStatement drift = c.prepareStatement(
                            "update account set plan = 'free' where account_id = ?")) {
                        drift.setLong(1, drifted);
                        drift.executeUpdate();
                    }
                }
                assertEquals(List.of(Reconciler.Turn.BUSY, Reconciler.Turn.FAILED, Reconciler.Turn.RECONCILED),
                        reconciler.reconcileIfFree(ids));
                holder.commit();
            } finally {
                schema.execute("drop function refuse_for_test() cascade");
            }
        } finally {
            scheduler.resume("reconciler");
        }
        assertEquals(3, openTunnels(busy), "skipped while another transaction held it");
        assertEquals(3, openTunnels(failing), "its failed transaction rolled back");
        assertEquals(1, openTunnels(fine));
        assertEquals(List.of(Reconciler.Turn.RECONCILED, Reconciler.Turn.RECONCILED),
                reconciler.reconcileIfFree(ids.subList(0, 2)));
        assertEquals(1, openTunnels(busy));
        assertEquals(1, openTunnels(failing));
        List<String> busyClosedAt = closedAt(busy);
        List<String> failingClosedAt = closedAt(failing);
        assertEquals(1, busyClosedAt.size(), "one transaction closed both of its tunnels");
        assertEquals(1, failingClosedAt.size());
        assertNotEquals(busyClosedAt, failingClosedAt, "each account's transaction started after the previous one's");
    }

    @Test
    void previewNeedsAKnownPlanAndTheRightToken() {
        String slug = uniqueSlug("preview");
        String service = createAccount(slug, Map.of()).path("serviceToken");
        as(service).queryParam("plan", "gold").get("/admin/accounts/" + slug + "/plan-preview").then()
                .statusCode(400).body("field", equalTo("plan"));
        as(service).get("/admin/accounts/" + slug + "/plan-preview").then().statusCode(400);
        String other = uniqueSlug("preview-other");
        createAccount(other, Map.of());
        as(service).queryParam("plan", "free").get("/admin/accounts/" + other + "/plan-preview").then()
                .statusCode(403);
    }

    private static String open(String api, String subdomain) {
        Map<String, Object> body = subdomain == null ? Map.of() : Map.of("subdomain", subdomain);
        return as(api).body(body).post("/v1/tunnels").then().statusCode(201).extract().path("id");
    }

    /** A Pro account with three open tunnels. */
    private static String withThreeTunnels(String prefix) {
        String slug = uniqueSlug(prefix);
        String service = createAccount(slug, Map.of("plan", "pro", "dayLimit", 10_000)).path("serviceToken");
        String api = Api.apiToken(slug, service);
        for (int i = 0; i < 3; i++) {
            open(api, null);
        }
        return slug;
    }

    private long accountId(String slug) throws SQLException {
        return count("select account_id from account where slug = ?", slug);
    }

    private long openTunnels(String slug) throws SQLException {
        return count("select count(*) from tunnel t join account a using (account_id) where a.slug = ? "
                + "and t.closed_at is null", slug);
    }

    /** When its plan_downgrade closes happened: the closing transaction's start. */
    private List<String> closedAt(String slug) throws SQLException {
        return strings("select distinct t.closed_at::text from tunnel t join account a using (account_id) "
                + "where a.slug = ? and t.close_reason = 'plan_downgrade'", slug);
    }

    private long auditCount(String slug) throws SQLException {
        return count("select count(*) from audit_entry where account_slug = ?", slug);
    }

    private long downgradedEvents(String slug) throws SQLException {
        return count("select count(*) from webhook_event e join account a using (account_id) where a.slug = ? "
                + "and e.type = 'plan.downgraded' and e.data ->> 'to' = 'free' and (e.data ->> 'closedTunnels')::int = 2",
                slug);
    }

    private long count(String sql, String slug) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, slug);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    private List<String> strings(String sql, String slug) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, slug);
            try (ResultSet r = s.executeQuery()) {
                List<String> values = new java.util.ArrayList<>();
                while (r.next()) {
                    values.add(r.getString(1));
                }
                return values;
            }
        }
    }

    private void execute(String sql, String slug) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, slug);
            s.executeUpdate();
        }
    }
}
