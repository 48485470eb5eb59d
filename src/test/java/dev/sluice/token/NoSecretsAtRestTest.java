package dev.sluice.token;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static dev.sluice.Api.uniqueSlug;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import dev.sluice.auth.TokenFormat;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/**
 * A database dump and the service's log hold no token, only hashes, and no webhook endpoint secret, only its sealed
 * form; list responses hold neither.
 */
@QuarkusTest
class NoSecretsAtRestTest {

    @Test
    void neitherTheDumpNorTheLogContainsAToken() throws Exception {
        String slug = uniqueSlug("secrets");
        Response created = asRoot().body(Map.of("slug", slug)).post("/admin/accounts");
        String service = created.path("serviceToken");
        List<String> secrets = new ArrayList<>(List.of(service, Api.ROOT, Api.TUNNEL_SECRET));
        Response minted = as(service).body(Map.of("name", "x")).post("/admin/accounts/" + slug + "/tokens");
        secrets.add(minted.path("token"));
        secrets.add(as(service).body(Map.of()).post("/admin/accounts/" + slug + "/tokens/" + minted.path("id")
                + "/roll").path("token"));
        // A webhook endpoint secret signs deliveries, so it is kept, but sealed with SECRETS_KEY.
        secrets.add(as(service).body(Map.of("url", "https://9.9.9.9/hook", "events", List.of("plan.downgraded")))
                .post("/admin/accounts/" + slug + "/webhooks").then().statusCode(201).extract().path("secret"));
        as(Api.TUNNEL_SECRET).get("/admin/accounts/internal").then().statusCode(403);
        as(secrets.get(3)).get("/admin/accounts/" + slug).then().statusCode(401);

        String dump = pgDump();
        assertTrue(dump.contains(TokenFormat.sha256(service)), "the dump holds the hash");
        for (String secret : secrets) {
            assertFalse(dump.contains(secret), "the dump must not hold a token or a webhook secret");
        }
        String log = Files.readString(Path.of("target/sluice-test.log"), StandardCharsets.UTF_8);
        for (String secret : secrets) {
            assertFalse(log.contains(secret), "the log must not hold a token");
            assertFalse(log.contains(TokenFormat.sha256(secret)), "the log must not hold a token hash");
        }
        String listing = as(service).get("/admin/accounts/" + slug + "/tokens").asString();
        for (String secret : secrets) {
            assertFalse(listing.contains(secret));
            assertFalse(listing.contains(TokenFormat.sha256(secret)));
        }
    }

    /** Dumps the database the tests run on (the configured JDBC URL's database and port, "test" unless overridden). */
    private static String pgDump() throws IOException, InterruptedException {
        String url = ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url", String.class);
        String database = url.replaceFirst("^.*/([^/?]+)(\\?.*)?$", "$1");
        String port = url.matches("^jdbc:postgresql://[^/:]+:\\d+/.*")
                ? url.replaceFirst("^jdbc:postgresql://[^/:]+:(\\d+)/.*", "$1") : "5432";
        Process dump = new ProcessBuilder("pg_dump", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "--data-only",
                database).redirectErrorStream(true).start();
        String out = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, dump.waitFor(), out);
        return out;
    }
}
