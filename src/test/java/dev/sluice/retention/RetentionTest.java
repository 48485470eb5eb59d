package dev.sluice.retention;

import static dev.sluice.Api.apiToken;
import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static dev.sluice.Api.serviceToken;
import static dev.sluice.Api.uniqueSlug;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sluice.Sql;
import dev.sluice.audit.AuditLog;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Retention (contract §13) against the test database: what is past its retention goes, in batches that skip rows
 * someone holds, and nothing a usage view, series or export reads changes. The purge's effect on lease latency is
 * measured in bench/ (bench/purge.sh), not asserted here.
 */
@QuarkusTest
class RetentionTest {

    @Inject
    RetentionJob retention;
    @Inject
    AuditLog audit;
    @Inject
    AgroalDataSource db;
    @Inject
    Sql sql;

    @Test
    void aPurgeOfAHundredThousandClosedTunnelsLeavesEveryUsageViewAsItWasWhileLeasesGoOn() throws Exception {
        String slug = uniqueSlug("purged");
        String service = serviceToken(slug);
        String api = apiToken(slug, service);
        String tokenId = as(service).get("/admin/accounts/" + slug + "/tokens").then().statusCode(200).extract()
                .path("tokens.find { it.kind == 'api' }.id");
        String recent = as(api).body(Map.of()).post("/v1/tunnels").then().statusCode(201).extract().path("id");
        as(api).body(Map.of("consumed", 10)).post("/v1/tunnels/" + recent + "/lease").then().statusCode(200);
        as(api).body(Map.of("consumed", 5)).post("/v1/tunnels/" + recent + "/close").then().statusCode(200);
        long account = sql.accountId(slug);
        // 100,000 tunnels of a season ago: what they used is on the account's usage rows (yesterday's here), as a
        // tunnel's usage always is by the time it has closed.
        sql.update("""
                insert into tunnel (account_id, tunnel_id, subdomain, password_protected, created_at, last_seen_at,
                                    last_activity_at, closed_at, close_reason, consumed)
                select ?, gen_random_uuid(), 'season-' || g, false, now() - interval '101 days',
                       now() - interval '100 days', now() - interval '100 days', now() - interval '100 days',
                       'closed', 3
                  from generate_series(1, 100000) g""", account);
        sql.update("""
                insert into usage_daily (account_id, day, credit, op, byte_in, byte_out, session_second, tunnel)
                values (?, (now() at time zone 'utc')::date - 1, 300000, 300000, 0, 0, 0, 100000)""", account);
        List<String> before = views(slug, api, service, tokenId);

        String otherSlug = uniqueSlug("leasing");
        String otherApi = apiToken(otherSlug, serviceToken(otherSlug));
        String leased = as(otherApi).body(Map.of()).post("/v1/tunnels").then().statusCode(201).extract().path("id");
        AtomicBoolean purging = new AtomicBoolean(true);
        CompletableFuture<List<Integer>> leases = CompletableFuture.supplyAsync(() -> {
            List<Integer> statuses = new ArrayList<>();
            while (purging.get() || statuses.isEmpty()) {
                statuses.add(as(otherApi).body(Map.of("consumed", 0, "want", 1))
                        .post("/v1/tunnels/" + leased + "/lease").statusCode());
            }
            return statuses;
        });
        RetentionJob.Purged purged;
        try {
            purged = retention.purge();
        } finally {
            purging.set(false);
        }
        List<Integer> statuses = leases.get(60, TimeUnit.SECONDS);

        assertTrue(purged.of(RetainedTable.TUNNEL) >= 100_000, "purged " + purged);
        assertEquals(0, sql.count("select count(*) from tunnel where account_id = ? and closed_at < now() - interval "
                + "'90 days'", account));
        assertEquals(1, sql.count("select count(*) from tunnel where account_id = ?", account), "the recent one stays");
        assertTrue(statuses.stream().allMatch(s -> s == 200), "leases during the purge: " + statuses);
        assertEquals(before, views(slug, api, service, tokenId));
    }

    @Test
    void eachKindOfRecordGoesAfterItsRetentionOnlyAndWhatIsPendingStays() throws Exception {
        String slug = uniqueSlug("kinds");
        long account = newAccount(slug);
        UUID endpoint = UUID.randomUUID();
        sql.update("insert into webhook_endpoint (account_id, endpoint_id, url, events, secret) values "
                + "(?, ?, 'https://hooks.example.com/x', '{tunnel.closed}', 'whsec_x')", account, endpoint);
        UUID oldDone = event(account, endpoint, "31 days", "delivered");
        UUID oldFailed = event(account, endpoint, "31 days", "failed");
        UUID oldPending = event(account, endpoint, "31 days", "pending");
        UUID recentDone = event(account, endpoint, "29 days", "delivered");

        String oldStripe = stripeEvent("401 days", "linked");
        String oldUnlinked = stripeEvent("401 days", "unknown_customer");
        String oldReceived = stripeEvent("401 days", "received");
        String recentStripe = stripeEvent("399 days", "plan_pro");

        String idle = "idle-" + slug;
        String reserved = "kept-" + slug;
        String cooling = "cool-" + slug;
        String released = "gone-" + slug;
        for (String name : List.of(idle, reserved, cooling, released)) {
            sql.update("insert into subdomain_claim (name, holder_account_id) values (?, ?)", name, account);
        }
        sql.update("insert into reserved_subdomain (account_id, name) values (?, ?)", account, reserved);
        sql.update("insert into subdomain_release (account_id, name, released_at) values (?, ?, now()), "
                + "(?, ?, now() - interval '25 hours')", account, cooling, account, released);
        sql.update("insert into idempotency_key (account_id, idem_key, kind, fingerprint, result, created_at) values "
                + "(?, 'day-old', 'register', 'f', '{}', now() - interval '25 hours'), "
                + "(?, 'fresh', 'register', 'f', '{}', now() - interval '23 hours')", account, account);
        sql.update("insert into audit_entry (account_id, at, actor_kind, actor_id, action, account_slug, outcome) "
                + "values (?, now() - interval '3 years', 'root', 'root', 'account.update', ?, 'ok')", account, slug);

        retention.purge();

        for (UUID gone : List.of(oldDone, oldFailed)) {
            assertEquals(0, sql.count("select count(*) from webhook_event where account_id = ? and event_id = ?",
                    account, gone));
            assertEquals(0, sql.count("select count(*) from webhook_delivery where account_id = ? and event_id = ?",
                    account, gone));
            assertEquals(0, sql.count("select count(*) from webhook_attempt where account_id = ? and event_id = ?",
                    account, gone));
        }
        for (UUID kept : List.of(oldPending, recentDone)) {
            assertEquals(1, sql.count("select count(*) from webhook_delivery where account_id = ? and event_id = ?",
                    account, kept));
            assertEquals(1, sql.count("select count(*) from webhook_attempt where account_id = ? and event_id = ?",
                    account, kept));
        }
        assertEquals(List.of("fresh"), sql.list("select idem_key from idempotency_key where account_id = ?", account));
        assertEquals(0, sql.count("select count(*) from stripe_event where event_id = ?", oldStripe));
        for (String kept : List.of(oldUnlinked, oldReceived, recentStripe)) {
            assertEquals(1, sql.count("select count(*) from stripe_event where event_id = ?", kept), kept);
        }
        assertEquals(0, sql.count("select count(*) from subdomain_release where account_id = ? and name = ?", account,
                released));
        assertEquals(1, sql.count("select count(*) from subdomain_release where account_id = ? and name = ?", account,
                cooling));
        // Claims are looked at a page a round, where the last round stopped: the others' claims may come first.
        for (int round = 0; round < 50 && claimed(idle) + claimed(released) > 0; round++) {
            retention.purge();
        }
        assertEquals(0, claimed(idle));
        assertEquals(0, claimed(released));
        assertEquals(1, claimed(reserved));
        assertEquals(1, claimed(cooling));

        // AUDIT_RETENTION is unset here: entries are kept. Set, the round calls this for every account.
        assertEquals(1, sql.count("select count(*) from audit_entry where account_id = ? and at < now() - interval "
                + "'1 year'", account));
        assertEquals(1, audit.purge(account, Duration.ofDays(365), 500));
        assertEquals(0, sql.count("select count(*) from audit_entry where account_id = ? and at < now() - interval "
                + "'1 year'", account));
    }

    @Test
    void aPurgeSkipsTheRowsSomeoneHoldsAndTakesThemNextRound() throws Exception {
        long account = newAccount(uniqueSlug("held"));
        UUID held = UUID.randomUUID();
        UUID free = UUID.randomUUID();
        for (UUID tunnel : List.of(held, free)) {
            sql.update("""
                    insert into tunnel (account_id, tunnel_id, subdomain, password_protected, created_at,
                                        last_seen_at, last_activity_at, closed_at, close_reason)
                    values (?, ?, 'held-' || ?, false, now() - interval '200 days', now() - interval '200 days',
                            now() - interval '200 days', now() - interval '199 days', 'closed')""",
                    account, tunnel, tunnel.toString());
        }
        try (Connection holder = db.getConnection()) {
            holder.setAutoCommit(false);
            try (PreparedStatement lock = holder.prepareStatement(
                    "select 1 from tunnel where account_id = ? and tunnel_id = ? for update")) {
                lock.setLong(1, account);
                lock.setObject(2, held);
                lock.executeQuery().close();
            }
            // Bounded, so a purge that waited for the lock fails here instead of hanging the suite.
            CompletableFuture.supplyAsync(retention::purge).get(60, TimeUnit.SECONDS);
            assertEquals(1, sql.count("select count(*) from tunnel where account_id = ? and tunnel_id = ?", account,
                    held));
            assertEquals(0, sql.count("select count(*) from tunnel where account_id = ? and tunnel_id = ?", account,
                    free));
            holder.rollback();
        }
        retention.purge();
        assertEquals(0, sql.count("select count(*) from tunnel where account_id = ?", account));
    }

    private long newAccount(String slug) throws SQLException {
        serviceToken(slug);
        return sql.accountId(slug);
    }

    /** Every view of the account's usage a client reads, as JSON text; the export as its lines for this account. */
    private List<String> views(String slug, String api, String service, String tokenId) {
        List<String> views = new ArrayList<>();
        views.add(asRoot().get("/admin/accounts/" + slug + "/usage").then().statusCode(200).extract().asString());
        views.add(as(api).get("/v1/usage").then().statusCode(200).extract().asString());
        views.add(as(api).get("/v1/usage/series?days=90&by=token").then().statusCode(200).extract().asString());
        views.add(as(service).get("/v1/usage?token=" + tokenId).then().statusCode(200).extract().asString());
        String export = asRoot().accept("application/x-ndjson").get("/admin/export/usage?limit=10000").then()
                .statusCode(200).extract().asString();
        export.lines().filter(line -> line.contains("\"account\":\"" + slug + "\"")).forEach(views::add);
        return views;
    }

    private UUID event(long account, UUID endpoint, String age, String status) throws SQLException {
        UUID event = UUID.randomUUID();
        sql.update("insert into webhook_event (account_id, event_id, type, created_at, data) "
                + "values (?, ?, 'tunnel.closed', now() - cast(? as interval), '{}')", account, event, age);
        sql.update("insert into webhook_delivery (account_id, endpoint_id, event_id, status, attempts, "
                + "next_attempt_at) values (?, ?, ?, ?, 1, now() + interval '1 day')", account, endpoint, event, status);
        sql.update("insert into webhook_attempt (account_id, endpoint_id, event_id, attempted_at, status_code) "
                + "values (?, ?, ?, now() - cast(? as interval), 500)", account, endpoint, event, age);
        return event;
    }

    private String stripeEvent(String age, String outcome) throws SQLException {
        String id = "evt_" + UUID.randomUUID().toString().replace("-", "");
        sql.update("insert into stripe_event (event_id, type, created, received_at, outcome, payload) "
                + "values (?, 'customer.subscription.updated', 1700000000, now() - cast(? as interval), ?, '{}')",
                id, age, outcome);
        return id;
    }

    private long claimed(String name) throws SQLException {
        return sql.count("select count(*) from subdomain_claim where name = ?", name);
    }
}
