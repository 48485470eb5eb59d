package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sluice.Race;

/**
 * Two packaged Sluice processes on one PostgreSQL, as two replicas would run: the global ceiling and the lease
 * limit hold when both are hammered at once, and both fail closed (503, nothing granted) while the database is
 * unreachable, then recover by themselves.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoReplicasIT {

    static final String ROOT = PackagedJar.ROOT;
    static final String SECRETS_KEY = PackagedJar.SECRETS_KEY;
    static final String DATABASE = "sluice_it";
    /**
     * The PostgreSQL port (a Citus coordinator's, say). With {@code it.database.ready} the database {@value #DATABASE}
     * is used as it is instead of being created (on Citus it must exist on every node, with the extension).
     */
    static final int PG_PORT = Integer.getInteger("it.pg.port", 5432);
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static TcpProxy database;
    static final List<PackagedJar> replicas = new ArrayList<>();
    static final List<String> urls = new ArrayList<>();
    /** Each replica's management port, where its health probes are. */
    static final List<String> managementUrls = new ArrayList<>();

    @BeforeAll
    static void startTwoReplicas() throws Exception {
        if (!Boolean.getBoolean("it.database.ready")) {
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + PG_PORT + "/postgres",
                    "postgres", ""); Statement s = c.createStatement()) {
                s.execute("drop database if exists " + DATABASE + " with (force)");
                s.execute("create database " + DATABASE);
            }
        }
        database = new TcpProxy(PG_PORT);
        for (int i = 0; i < 2; i++) {
            replicas.add(PackagedJar.start(Path.of("target/replica-" + i + ".log"), Map.of(
                    "QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://127.0.0.1:" + database.port() + "/" + DATABASE
                            + "?connectTimeout=2&socketTimeout=10",
                    "GLOBAL_DAY_LIMIT", "10",
                    "RECONCILE_EVERY", "1s")));
        }
        for (PackagedJar replica : replicas) {
            urls.add(replica.awaitReady().baseUri);
            managementUrls.add(replica.managementUri);
        }
    }

    @AfterAll
    static void stopReplicas() throws IOException {
        replicas.forEach(PackagedJar::close);
        if (database != null) {
            database.close();
        }
    }

    @Test
    @Order(1)
    void theCeilingHoldsWhenBothReplicasCreateAccountsAtOnce() throws Exception {
        List<Integer> statuses = Race.run(30, i -> () -> call(urls.get(i % 2), "POST", "/admin/accounts", ROOT,
                "{\"slug\":\"race-" + i + "\",\"dayUsd\":1}").statusCode());
        assertEquals(10, statuses.stream().filter(s -> s == 201).count(), statuses.toString());
        assertEquals(20, statuses.stream().filter(s -> s == 409).count(), statuses.toString());
        try (Connection c = jdbc(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                "select day_allocated, (select sum(day_limit) from account) from global_allocation")) {
            r.next();
            assertEquals(10_000_000, r.getLong(1));
            assertEquals(r.getLong(2), r.getLong(1));
        }
    }

    @Test
    @Order(2)
    void leasesFromBothReplicasNeverExceedTheLimit() throws Exception {
        long limit = 3_000;
        lowerEveryDayLimitToZero();
        JsonNode created = json(call(urls.get(0), "POST", "/admin/accounts", ROOT,
                "{\"slug\":\"hot\",\"plan\":\"pro\",\"dayLimit\":" + limit + ",\"leaseChunk\":10}"));
        String service = created.get("serviceToken").asText();
        String api = json(call(urls.get(1), "POST", "/admin/accounts/hot/tokens", service, "{}")).get("token").asText();
        List<String> tunnels = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            tunnels.add(json(call(urls.get(i % 2), "POST", "/v1/tunnels", api, "{}")).get("id").asText());
        }
        List<Integer> granted = Race.run(32, t -> () -> leaseUntilRefused(urls.get(t % 2),
                tunnels.get(t % tunnels.size()), api, null, () -> { }));
        long total = granted.stream().mapToLong(Integer::longValue).sum();
        assertTrue(total <= limit - tunnels.size(), "granted " + total);
        try (Connection c = jdbc(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                "select day_used, day_leased from account_usage join account using (account_id) where slug = 'hot'")) {
            r.next();
            assertTrue(r.getLong(1) + r.getLong(2) <= limit);
            assertEquals(tunnels.size() + total, r.getLong(1) + r.getLong(2));
        }
    }

    @Test
    @Order(3)
    void aRevocationOnOneReplicaStopsTheTokenOnTheOtherWithinASecond() throws Exception {
        lowerEveryDayLimitToZero();
        String service = json(call(urls.get(0), "POST", "/admin/accounts", ROOT,
                "{\"slug\":\"revoked\",\"plan\":\"pro\",\"dayLimit\":1000}")).get("serviceToken").asText();
        JsonNode minted = json(call(urls.get(0), "POST", "/admin/accounts/revoked/tokens", service, "{}"));
        String api = minted.get("token").asText();
        String tunnel = json(call(urls.get(1), "POST", "/v1/tunnels", api, "{}")).get("id").asText();
        String other = json(call(urls.get(1), "POST", "/admin/accounts/revoked/tokens", service, "{}"))
                .get("token").asText();
        String survivor = json(call(urls.get(1), "POST", "/v1/tunnels", other, "{}")).get("id").asText();
        assertEquals(200, call(urls.get(1), "POST", "/v1/tunnels/" + survivor + "/lease", api, "{}").statusCode());
        assertEquals(200, call(urls.get(0), "DELETE", "/admin/accounts/revoked/tokens/" + minted.get("id").asText(),
                service, null).statusCode());
        // Spending stops at once on the other replica, whatever its token cache holds...
        assertEquals(401, call(urls.get(1), "POST", "/v1/tunnels/" + survivor + "/lease", api, "{}").statusCode());
        HttpResponse<String> closed = call(urls.get(1), "POST", "/v1/tunnels/" + tunnel + "/lease", other, "{}");
        assertEquals(410, closed.statusCode());
        assertEquals("revoked", json(closed).get("reason").asText());
        // ...and authentication within the cache's second.
        Thread.sleep(1100);
        assertEquals(401, call(urls.get(1), "GET", "/v1/usage", api, null).statusCode());
    }

    @Test
    @Order(4)
    void bothReplicasReapAStaleTunnelOnceBetweenThem() throws Exception {
        lowerEveryDayLimitToZero();
        String service = json(call(urls.get(0), "POST", "/admin/accounts", ROOT,
                "{\"slug\":\"stale\",\"plan\":\"pro\",\"dayLimit\":1000}")).get("serviceToken").asText();
        String api = json(call(urls.get(0), "POST", "/admin/accounts/stale/tokens", service, "{}")).get("token")
                .asText();
        String tunnel = json(call(urls.get(1), "POST", "/v1/tunnels", api, "{}")).get("id").asText();
        assertEquals(50, json(call(urls.get(0), "POST", "/v1/tunnels/" + tunnel + "/lease", api, "{}"))
                .get("held").asInt());
        try (Connection c = jdbc(); Statement s = c.createStatement()) {
            s.executeUpdate("update tunnel set last_seen_at = now() - interval '1 hour' where tunnel_id = '"
                    + java.util.UUID.fromString(tunnel) + "'");
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (json(call(urls.get(1), "GET", "/v1/tunnels/" + tunnel, api, null)).get("closeReason").isNull()
                && System.nanoTime() < deadline) {
            Thread.sleep(250);
        }
        HttpResponse<String> lease = call(urls.get(0), "POST", "/v1/tunnels/" + tunnel + "/lease", api, "{}");
        assertEquals(410, lease.statusCode(), lease.body());
        assertEquals("stale", json(lease).get("reason").asText());
        Thread.sleep(2500);
        try (Connection c = jdbc(); Statement s = c.createStatement(); ResultSet r = s.executeQuery("""
                select u.day_used, u.day_leased,
                       (select count(*) from audit_entry e where e.account_slug = 'stale' and e.action = 'tunnel.reap')
                  from account_usage u join account a using (account_id) where a.slug = 'stale'""")) {
            r.next();
            assertEquals(1 + 50, r.getLong(1), "registration plus the held lease, charged once");
            assertEquals(0, r.getLong(2));
            assertEquals(1, r.getLong(3), "one replica acted");
        }
    }

    @Test
    @Order(5)
    void aLeaseRetriedOnBothReplicasAtOnceIsChargedOnce() throws Exception {
        lowerEveryDayLimitToZero();
        String service = json(call(urls.get(0), "POST", "/admin/accounts", ROOT,
                "{\"slug\":\"retried\",\"dayLimit\":1000}")).get("serviceToken").asText();
        String api = json(call(urls.get(0), "POST", "/admin/accounts/retried/tokens", service, "{}")).get("token")
                .asText();
        String tunnel = json(call(urls.get(1), "POST", "/v1/tunnels", api, "{}", "Idempotency-Key", "open-once"))
                .get("id").asText();
        assertEquals(tunnel, json(call(urls.get(0), "POST", "/v1/tunnels", api, "{}", "Idempotency-Key",
                "open-once")).get("id").asText(), "the other replica replays the registration");
        call(urls.get(0), "POST", "/v1/tunnels/" + tunnel + "/lease", api, "{}");
        List<HttpResponse<String>> answers = Race.run(16, i -> () -> call(urls.get(i % 2), "POST",
                "/v1/tunnels/" + tunnel + "/lease", api, "{\"consumed\":40}", "Idempotency-Key", "report-1"));
        for (HttpResponse<String> answer : answers) {
            assertEquals(200, answer.statusCode(), answer.body());
            assertEquals(answers.get(0).body(), answer.body());
        }
        try (Connection c = jdbc(); Statement s = c.createStatement(); ResultSet r = s.executeQuery("""
                select u.day_used, (select count(*) from tunnel t where t.account_id = a.account_id)
                  from account_usage u join account a using (account_id) where a.slug = 'retried'""")) {
            r.next();
            assertEquals(1 + 40, r.getLong(1), "one registration and one report, however many retries");
            assertEquals(1, r.getLong(2));
        }
    }

    @Test
    @Order(6)
    void registrationsOnBothReplicasAtOnceOpenNoMoreTunnelsThanTheAccountMayHave() throws Exception {
        lowerEveryDayLimitToZero();
        // Each replica queues the account's registrations in its own turns; the credit lock orders the two queues.
        String service = json(call(urls.get(0), "POST", "/admin/accounts", ROOT,
                "{\"slug\":\"capped\",\"plan\":\"pro\",\"dayLimit\":1000,\"concurrentMax\":3}"))
                .get("serviceToken").asText();
        String api = json(call(urls.get(1), "POST", "/admin/accounts/capped/tokens", service, "{}")).get("token")
                .asText();
        List<HttpResponse<String>> answers = Race.run(24, i -> () -> call(urls.get(i % 2), "POST", "/v1/tunnels",
                api, "{}"));
        assertEquals(3, answers.stream().filter(a -> a.statusCode() == 201).count(), answers.toString());
        for (HttpResponse<String> refused : answers.stream().filter(a -> a.statusCode() != 201).toList()) {
            assertEquals(403, refused.statusCode(), refused.body());
            assertEquals("TUNNEL_LIMIT_REACHED", json(refused).get("code").asText());
        }
        try (Connection c = jdbc(); Statement s = c.createStatement(); ResultSet r = s.executeQuery("""
                select (select count(*) from tunnel t where t.account_id = a.account_id and t.closed_at is null),
                       u.day_used
                  from account a join account_usage u using (account_id) where a.slug = 'capped'""")) {
            r.next();
            assertEquals(3, r.getLong(1), "open tunnels");
            assertEquals(3, r.getLong(2), "one credit per tunnel opened, none for a refusal");
        }
    }

    @Test
    @Order(7)
    void bothReplicasFailClosedWithoutTheDatabaseAndRecover() throws Exception {
        lowerEveryDayLimitToZero();
        JsonNode created = json(call(urls.get(0), "POST", "/admin/accounts", ROOT,
                "{\"slug\":\"outage\",\"dayLimit\":1000}"));
        String api = json(call(urls.get(0), "POST", "/admin/accounts/outage/tokens",
                created.get("serviceToken").asText(), "{}")).get("token").asText();
        String tunnel = json(call(urls.get(0), "POST", "/v1/tunnels", api, "{}")).get("id").asText();
        database.cut();
        try {
            for (int i = 0; i < urls.size(); i++) {
                String url = urls.get(i);
                HttpResponse<String> lease = call(url, "POST", "/v1/tunnels/" + tunnel + "/lease", api, "{}");
                assertEquals(503, lease.statusCode(), lease.body());
                assertEquals("UNAVAILABLE", json(lease).get("code").asText());
                assertEquals(503, call(url, "POST", "/v1/tunnels", api, "{}").statusCode());
                assertEquals(503, call(managementUrls.get(i), "GET", "/q/health/ready", null, null).statusCode());
            }
        } finally {
            database.restore();
        }
        for (int i = 0; i < urls.size(); i++) {
            HttpResponse<String> lease = awaitStatus(urls.get(i), "/v1/tunnels/" + tunnel + "/lease", api, 200);
            assertEquals(50, json(lease).get("granted").asInt(), "leases grant again after the outage");
            assertEquals(200, call(managementUrls.get(i), "GET", "/q/health/ready", null, null).statusCode());
        }
    }

    @Test
    @Order(8)
    void bothReplicasDrawOnePrepaidBalanceAndItsLedgerSumsToIt() throws Exception {
        lowerEveryDayLimitToZero();
        JsonNode created = json(call(urls.get(0), "POST", "/admin/accounts", ROOT,
                "{\"slug\":\"prepaid\",\"plan\":\"pro\",\"dayLimit\":1000000,\"leaseChunk\":10}"));
        String service = created.get("serviceToken").asText();
        assertEquals(200, call(urls.get(1), "PATCH", "/admin/accounts/prepaid", ROOT, "{\"funding\":\"prepaid\"}")
                .statusCode());
        assertEquals(201, call(urls.get(1), "POST", "/admin/accounts/prepaid/grants", ROOT,
                "{\"credits\":2000,\"category\":\"paid\"}").statusCode());
        String api = json(call(urls.get(0), "POST", "/admin/accounts/prepaid/tokens", service, "{}")).get("token")
                .asText();
        List<String> tunnels = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            tunnels.add(json(call(urls.get(i % 2), "POST", "/v1/tunnels", api, "{}")).get("id").asText());
        }
        // Leases on both replicas until the balance binds; one worker adds a promotional grant meanwhile.
        List<Integer> granted = Race.run(16, t -> () -> leaseUntilRefused(urls.get(t % 2),
                tunnels.get(t % tunnels.size()), api, "balance", () -> {
                    if (t == 0) {
                        assertEquals(201, call(urls.get(0), "POST", "/admin/accounts/prepaid/grants", ROOT,
                                "{\"credits\":500,\"category\":\"promotional\"}").statusCode());
                    }
                }));
        long total = granted.stream().mapToLong(Integer::longValue).sum();
        assertTrue(total <= 2_500 - tunnels.size(), "granted " + total);
        try (Connection c = jdbc(); Statement s = c.createStatement(); ResultSet r = s.executeQuery("""
                select u.balance, u.day_used, u.day_leased,
                       (select sum(l.credits) from credit_ledger l where l.account_id = u.account_id) as ledger
                  from account_usage u join account a using (account_id) where a.slug = 'prepaid'""")) {
            r.next();
            assertEquals(r.getLong("ledger"), r.getLong("balance"), "the ledger sums to the balance");
            assertEquals(2_500 - r.getLong("day_used"), r.getLong("balance"), "what was billed was drawn, once");
            assertEquals(tunnels.size() + total, r.getLong("day_used") + r.getLong("day_leased"));
            assertTrue(r.getLong("balance") >= 0, "every lease was within what was available");
        }
    }


    @Test
    @Order(9)
    void bothReplicasStopATokenAtItsBudgetWhileAnotherTokenLeases() throws Exception {
        lowerEveryDayLimitToZero();
        JsonNode created = json(call(urls.get(0), "POST", "/admin/accounts", ROOT,
                "{\"slug\":\"budgeted\",\"plan\":\"pro\",\"dayLimit\":1000000,\"leaseChunk\":10}"));
        String service = created.get("serviceToken").asText();
        JsonNode capped = json(call(urls.get(0), "POST", "/admin/accounts/budgeted/tokens", service, "{}"));
        String other = json(call(urls.get(1), "POST", "/admin/accounts/budgeted/tokens", service, "{}")).get("token")
                .asText();
        HttpResponse<String> budget = call(urls.get(1), "POST", "/admin/accounts/budgeted/budgets", service,
                "{\"tokenId\":\"" + capped.get("id").asText() + "\",\"window\":\"day\",\"limitCredits\":500,"
                        + "\"action\":\"block\"}");
        assertEquals(201, budget.statusCode(), budget.body());
        String api = capped.get("token").asText();
        List<String> tunnels = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            tunnels.add(json(call(urls.get(i % 2), "POST", "/v1/tunnels", api, "{}")).get("id").asText());
        }
        // Leases of the capped token on both replicas until its budget binds.
        List<Integer> granted = Race.run(16, t -> () -> leaseUntilRefused(urls.get(t % 2),
                tunnels.get(t % tunnels.size()), api, "budget", () -> {
                }));
        long total = granted.stream().mapToLong(Integer::longValue).sum();
        assertTrue(total <= 500 - tunnels.size(), "granted " + total);
        String otherTunnel = json(call(urls.get(1), "POST", "/v1/tunnels", other, "{}")).get("id").asText();
        HttpResponse<String> lease = call(urls.get(0), "POST", "/v1/tunnels/" + otherTunnel + "/lease", other, "{}");
        assertEquals(200, lease.statusCode(), lease.body());
        long spent = json(call(urls.get(0), "GET", "/admin/accounts/budgeted/budgets", service, null))
                .get("budgets").get(0).get("spent").asLong();
        assertEquals(tunnels.size() + total, spent, "every credit granted was spent, once");
        assertTrue(spent <= 500, "spent " + spent);
        try (Connection c = jdbc(); Statement s = c.createStatement(); ResultSet r = s.executeQuery("""
                select u.day_used from account_usage u join account a using (account_id)
                 where a.slug = 'budgeted'""")) {
            r.next();
            assertEquals(spent + 1, r.getLong("day_used"), "and the other token's registration");
        }
    }

    /** Something a worker does once, after its first lease. */
    interface AfterFirstLease {
        void run() throws Exception;
    }

    /**
     * Leases on the tunnel and reports each grant as consumed, until three leases are refused (429, with {@code scope}
     * when it is not null); answers what was granted in all.
     */
    private static int leaseUntilRefused(String url, String tunnel, String api, String scope, AfterFirstLease then)
            throws Exception {
        int total = 0;
        int refusals = 0;
        boolean first = true;
        while (refusals < 3) {
            HttpResponse<String> lease = call(url, "POST", "/v1/tunnels/" + tunnel + "/lease", api, "{}");
            if (lease.statusCode() == 429) {
                if (scope != null) {
                    assertEquals(scope, json(lease).get("scope").asText(), lease.body());
                }
                refusals++;
                continue;
            }
            assertEquals(200, lease.statusCode(), lease.body());
            int got = json(lease).get("granted").asInt();
            total += got;
            if (first) {
                then.run();
                first = false;
            }
            int spent = call(url, "POST", "/v1/tunnels/" + tunnel + "/lease", api,
                    "{\"consumed\":" + got + ",\"want\":0}").statusCode();
            assertTrue(spent == 200 || spent == 429);
        }
        return total;
    }

    private static void lowerEveryDayLimitToZero() throws SQLException, IOException, InterruptedException {
        List<String> slugs = new ArrayList<>();
        try (Connection c = jdbc(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("select slug from account where day_limit > 0")) {
            while (r.next()) {
                slugs.add(r.getString(1));
            }
        }
        for (String slug : slugs) {
            assertEquals(200, call(urls.get(0), "PATCH", "/admin/accounts/" + slug + "/limits", ROOT,
                    "{\"dayLimit\":0}").statusCode());
        }
    }

    /** One call; {@code headers} are extra name, value pairs. */
    static HttpResponse<String> call(String base, String method, String path, String token, String body,
            String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> awaitStatus(String url, String path, String token, int status)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        HttpResponse<String> last;
        do {
            last = call(url, "POST", path, token, "{}");
            if (last.statusCode() == status) {
                return last;
            }
            Thread.sleep(250);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("still " + last.statusCode() + " after 60 s: " + last.body());
    }

    static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    private static Connection jdbc() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + PG_PORT + "/" + DATABASE, "postgres", "");
    }
}
