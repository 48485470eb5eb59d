package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sluice.client.ApiClient;
import dev.sluice.client.ApiException;
import dev.sluice.client.ApiResponse;
import dev.sluice.client.api.AccountsApi;
import dev.sluice.client.api.BudgetsApi;
import dev.sluice.client.api.PlansApi;
import dev.sluice.client.api.TokensApi;
import dev.sluice.client.api.TunnelsApi;
import dev.sluice.client.api.UsageApi;
import dev.sluice.client.model.Budget;
import dev.sluice.client.model.BudgetRequest;
import dev.sluice.client.model.CreateRequest;
import dev.sluice.client.model.Created;
import dev.sluice.client.model.Error;
import dev.sluice.client.model.LeaseRequest;
import dev.sluice.client.model.Leased;
import dev.sluice.client.model.MintRequest;
import dev.sluice.client.model.Minted;
import dev.sluice.client.model.Plan;
import dev.sluice.client.model.RegisterRequest;
import dev.sluice.client.model.Registered;
import dev.sluice.client.model.ThresholdRequest;
import dev.sluice.client.model.View;

/**
 * The README's walkthrough, driven by the Java client that the build generates from the document the packaged jar
 * serves (target/openapi): the client works without hand edits, errors arrive as the typed {@code Error}, and what
 * the jar serves at /q/openapi is the document the client was generated from.
 */
class GeneratedClientIT {

    static final String ROOT = PackagedJar.ROOT;
    static final String JDBC_URL = System.getProperty("it.jdbc.url", "jdbc:postgresql://127.0.0.1:5432/test");

    static PackagedJar sluice;
    static String baseUri;

    @BeforeAll
    static void startTheJar() throws Exception {
        sluice = PackagedJar.start(Path.of("target/generated-client-it.log"),
                Map.of("QUARKUS_DATASOURCE_JDBC_URL", JDBC_URL)).awaitReady();
        baseUri = sluice.baseUri;
    }

    @AfterAll
    static void stop() {
        if (sluice != null) {
            sluice.close();
        }
    }

    @Test
    void theReadmeWalkthroughRunsOnTheGeneratedClient() throws Exception {
        String slug = "acme-" + UUID.randomUUID().toString().substring(0, 8);
        Created created = new AccountsApi(client(ROOT)).createAccount(new CreateRequest().slug(slug).plan(Plan.PRO)
                .dayUsd(new java.math.BigDecimal("5")).monthUsd(new java.math.BigDecimal("50")));
        assertEquals(slug, created.getAccount().getSlug());
        assertNull(created.getAccount().getStripeCustomerId());
        String service = created.getServiceToken();

        Minted minted = new TokensApi(client(service)).mintToken(slug, new MintRequest().kind("api").name("edge-1"));
        assertTrue(minted.getToken().startsWith("vta_" + slug + "_"));
        String api = minted.getToken();

        TunnelsApi tunnels = new TunnelsApi(client(api));
        Registered tunnel = tunnels.registerTunnel(new RegisterRequest().subdomain(slug + "-demo"), null);
        assertEquals("https://" + slug + "-demo.tunnel.localhost", tunnel.getUrl());
        assertEquals(3, tunnel.getGrant().split("\\.").length, "a JWT");
        assertFalse(new TunnelsApi(client(null)).getJwks().getKeys().isEmpty());

        Leased first = tunnels.leaseCredits(tunnel.getId().toString(), new LeaseRequest().consumed(0L).want(50L), null);
        assertEquals(50L, first.getGranted());
        Leased second = tunnels.leaseCredits(tunnel.getId().toString(),
                new LeaseRequest().consumed(50L).bytesIn(2048L).bytesOut(512L), "walkthrough-lease-2");
        assertEquals("ok", second.getLevel());

        View usage = new UsageApi(client(api)).getUsage(null, null);
        assertEquals(slug, usage.getSlug());
        assertEquals(51L, usage.getDay().getUsed(), "registration (1) and the 50 consumed");
        assertEquals(2560L, usage.getBytes().getUsed());
        assertEquals(51L, new UsageApi(client(service)).getUsage(minted.getId().toString(), null).getDay().getUsed(),
                "all of it the edge-1 token's");

        Budget budget = new BudgetsApi(client(service)).createBudget(slug, new BudgetRequest()
                .tokenId(minted.getId().toString()).window("day").limitUsd(new java.math.BigDecimal("0.0001"))
                .action("block").thresholds(List.of(new ThresholdRequest().pct(50))));
        assertEquals(100L, budget.getLimit());
        assertEquals(51L, budget.getSpent());
        assertEquals(50L, budget.getThresholds().get(0).getCredits());
        assertFalse(new PlansApi(client(null)).listPlans().getPlans().isEmpty());
    }

    @Test
    void aTakenSlugIsATyped409() throws Exception {
        String slug = "taken-" + UUID.randomUUID().toString().substring(0, 8);
        AccountsApi accounts = new AccountsApi(client(ROOT));
        accounts.createAccount(new CreateRequest().slug(slug));
        ApiException refused = assertThrows(ApiException.class,
                () -> accounts.createAccount(new CreateRequest().slug(slug)));
        assertEquals(409, refused.getCode());
        Error error = error(refused);
        assertEquals(Error.CodeEnum.ACCOUNT_EXISTS, error.getCode());
        assertNotNull(error.getRequestId());
    }

    @Test
    void noCreditsLeftIsATyped429() throws Exception {
        String slug = "broke-" + UUID.randomUUID().toString().substring(0, 8);
        // Registration costs the one credit of the day; the first lease finds none left.
        Created created = new AccountsApi(client(ROOT)).createAccount(new CreateRequest().slug(slug).dayLimit(1L));
        String api = new TokensApi(client(created.getServiceToken())).mintToken(slug, new MintRequest().kind("api"))
                .getToken();
        TunnelsApi tunnels = new TunnelsApi(client(api));
        Registered tunnel = tunnels.registerTunnel(new RegisterRequest(), null);
        ApiException refused = assertThrows(ApiException.class,
                () -> tunnels.leaseCredits(tunnel.getId().toString(), new LeaseRequest(), null));
        assertEquals(429, refused.getCode());
        assertTrue(refused.getResponseHeaders().firstValue("Retry-After").isPresent());
        Error error = error(refused);
        assertEquals(Error.CodeEnum.QUOTA_EXCEEDED, error.getCode());
        assertEquals(Error.ScopeEnum.DAY, error.getScope());
        assertEquals(Error.ErrorEnum.QUOTA_EXCEEDED, error.getError());
        assertTrue(error.getRetryAfter() > 0);
    }

    @Test
    void theUsageExportReachesTheGeneratedClientWhole() throws Exception {
        String slug = "export-" + UUID.randomUUID().toString().substring(0, 8);
        new AccountsApi(client(ROOT)).createAccount(new CreateRequest().slug(slug));
        // A day long ended, as a database with a history holds: the first page has it.
        try (Connection connection = DriverManager.getConnection(JDBC_URL, "postgres", "");
                PreparedStatement seed = connection.prepareStatement("""
                        insert into usage_daily (account_id, day, credit, op, byte_in, byte_out, session_second, tunnel)
                        select account_id, date '1999-12-31', 5, 1, 10, 20, 30, 1 from account where slug = ?""")) {
            seed.setString(1, slug);
            assertEquals(1, seed.executeUpdate());
        }

        ApiResponse<File> page = new UsageApi(client(ROOT)).exportUsageWithHttpInfo(null, 10_000);
        String body = Files.readString(page.getData().toPath());
        HttpResponse<String> direct = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(baseUri + "/admin/export/usage?limit=10000")).header("Authorization", "Bearer " + ROOT)
                .header("Accept", "application/x-ndjson").build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(direct.body(), body, "every line, not the first alone");
        assertTrue(body.lines().anyMatch(line -> line.equals("{\"date\":\"1999-12-31\",\"account\":\"" + slug
                + "\",\"credit\":5,\"op\":1,\"byte_in\":10,\"byte_out\":20,\"session_second\":30,\"tunnel\":1}")),
                body);
        assertFalse(page.getHeaders().getOrDefault("next-cursor", List.of()).isEmpty(), page.getHeaders().toString());
    }

    @Test
    void theJarServesTheDocumentTheClientWasGeneratedFrom() throws Exception {
        HttpResponse<String> served = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(baseUri + "/q/openapi?format=json")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, served.statusCode());
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertEquals(json.readTree(Path.of("target/openapi/openapi.json").toFile()), json.readTree(served.body()));
    }

    private static Error error(ApiException refused) throws IOException {
        return client(null).getObjectMapper().readValue(refused.getResponseBody(), Error.class);
    }

    /** A client for one token (none for the public operations), pointed at the jar. */
    private static ApiClient client(String token) {
        ApiClient client = new ApiClient();
        client.updateBaseUri(baseUri);
        if (token != null) {
            client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + token));
        }
        return client;
    }
}
