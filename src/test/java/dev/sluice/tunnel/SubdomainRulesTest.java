package dev.sluice.tunnel;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import dev.sluice.account.OperatorNames;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Contract §5: whose a free name is. {@code <slug>} and {@code <slug>-*} are that slug's account's (the longest slug
 * decides), the operator's names are nobody's, a released or last-used name stays its holder's for the cool-off,
 * and a name held today stays with its holder.
 */
@QuarkusTest
class SubdomainRulesTest {

    @Inject
    AgroalDataSource db;

    @Test
    void aNameUnderAnAccountsSlugIsThatAccountsAndTheLongestSlugDecides() {
        Relay alpha = Relay.create("sq", Map.of("plan", "pro", "dayLimit", 10_000));
        Relay beta = Relay.create("sq-other", Map.of("plan", "pro", "dayLimit", 10_000));
        reserve(beta, alpha.slug()).then().statusCode(409).body("code", equalTo("SUBDOMAIN_TAKEN"));
        reserve(beta, alpha.slug() + "-shop").then().statusCode(409).body("code", equalTo("SUBDOMAIN_TAKEN"));
        beta.register(Map.of("subdomain", alpha.slug() + "-shop")).then().statusCode(409);
        reserve(alpha, alpha.slug() + "-shop").then().statusCode(201);
        reserve(alpha, alpha.slug()).then().statusCode(201);

        // A longer slug under alpha's owns its own names, alpha keeps the rest.
        String longer = alpha.slug() + "-eu";
        Relay nested = new Relay(longer, Api.createAccount(longer, Map.of("plan", "pro", "dayLimit", 10_000))
                .path("serviceToken"), null);
        reserve(alpha, longer + "-api").then().statusCode(409);
        reserve(nested, longer + "-api").then().statusCode(201);
        reserve(nested, alpha.slug() + "-docs").then().statusCode(409);
    }

    @Test
    void aTunnelsRandomNameCannotBeTakenByAnotherAccountOnceItCloses() {
        Relay alpha = Relay.create("sq-random", Map.of("dayLimit", 10_000));
        Relay beta = Relay.create("sq-squatter", Map.of("plan", "pro", "dayLimit", 10_000));
        var registered = alpha.register(Map.of()).then().statusCode(201).extract();
        String name = registered.path("subdomain");
        assertEquals(alpha.slug() + "-", name.substring(0, alpha.slug().length() + 1));
        alpha.close(registered.path("id"), 0).then().statusCode(200);
        reserve(beta, name).then().statusCode(409).body("code", equalTo("SUBDOMAIN_TAKEN"));
        beta.register(Map.of("subdomain", name)).then().statusCode(409);
    }

    @Test
    void theOperatorsNamesAreNobodysAndNoNewSlug() {
        Relay beta = Relay.create("sq-www", Map.of("plan", "pro", "dayLimit", 10_000));
        reserve(beta, "www").then().statusCode(409).body("code", equalTo("SUBDOMAIN_TAKEN"));
        beta.register(Map.of("subdomain", "admin")).then().statusCode(409).body("code", equalTo("SUBDOMAIN_TAKEN"));
        asRoot().body(Map.of("slug", "admin")).post("/admin/accounts").then().statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED")).body("field", equalTo("slug"));
    }

    @Test
    void aNewSlugIsAtMost54Characters() {
        String base = Api.uniqueSlug("sq-len");
        String longest = (base + "-" + "a".repeat(54)).substring(0, 54);
        asRoot().body(Map.of("slug", longest)).post("/admin/accounts").then().statusCode(201);
        asRoot().body(Map.of("slug", longest + "b")).post("/admin/accounts").then().statusCode(400)
                .body("code", equalTo("VALIDATION_FAILED")).body("field", equalTo("slug"));
    }

    @Test
    void aReleasedNameStaysItsHoldersForTheCoolOff() throws SQLException {
        Relay beta = Relay.create("sq-cool", Map.of("plan", "pro", "dayLimit", 10_000));
        Relay gamma = Relay.create("sq-next", Map.of("plan", "pro", "dayLimit", 10_000));
        String name = freeName();
        reserve(beta, name).then().statusCode(201);
        release(beta, name);
        reserve(gamma, name).then().statusCode(409).body("code", equalTo("SUBDOMAIN_TAKEN"))
                .body("message", startsWith("The subdomain '" + name + "'"));
        gamma.register(Map.of("subdomain", name)).then().statusCode(409);
        // Its last holder takes it back at once.
        reserve(beta, name).then().statusCode(201);
        release(beta, name);
        endCoolOff(db, name);
        reserve(gamma, name).then().statusCode(201);
    }

    @Test
    void aNameLastOpenStaysItsHoldersForTheCoolOff() throws SQLException {
        Relay beta = Relay.create("sq-open", Map.of("plan", "pro", "dayLimit", 10_000));
        Relay gamma = Relay.create("sq-after", Map.of("plan", "pro", "dayLimit", 10_000));
        String name = freeName();
        String tunnel = beta.register(Map.of("subdomain", name)).then().statusCode(201).extract().path("id");
        release(beta, name); // while its tunnel is open
        beta.close(tunnel, 0).then().statusCode(200);
        backdateRelease(db, name); // the release is old; the close is what keeps it beta's
        reserve(gamma, name).then().statusCode(409);
        endCoolOff(db, name);
        reserve(gamma, name).then().statusCode(201);
    }

    @Test
    void aNameHeldTodayStaysWithItsHolderWhenASlugComesToOwnIt() {
        Relay beta = Relay.create("sq-early", Map.of("plan", "pro", "dayLimit", 10_000));
        String later = Api.uniqueSlug("sq-later");
        reserve(beta, later + "-shop").then().statusCode(201);
        Relay owner = new Relay(later, Api.createAccount(later, Map.of("plan", "pro", "dayLimit", 10_000))
                .path("serviceToken"), null);
        reserve(owner, later + "-shop").then().statusCode(409);
        beta.register(Map.of("subdomain", later + "-shop")).then().statusCode(201);
    }

    @Test
    void badSettingsStopStartUp() {
        IllegalStateException empty = assertThrows(IllegalStateException.class,
                () -> OperatorNames.parse("www,,admin"));
        assertEquals("RESERVED_SUBDOMAINS must be a comma-separated list of DNS labels (1-63 of a-z, 0-9 and inner "
                + "'-'); '' is not one.", empty.getMessage());
        assertThrows(IllegalStateException.class, () -> OperatorNames.parse("www,Admin"));
        IllegalStateException negative = assertThrows(IllegalStateException.class,
                () -> new SubdomainService(cooldown(Duration.ofHours(-1))));
        assertEquals("SUBDOMAIN_COOLDOWN must not be negative; it is PT-1H.", negative.getMessage());
        new SubdomainService(cooldown(Duration.ZERO));
    }

    /**
     * The cool-off of a name has passed: its release and its tunnels' closes are a day and an hour old. (Set from
     * now(), not from the column: Citus refuses a STABLE function over a column in an UPDATE.)
     */
    static void endCoolOff(AgroalDataSource db, String name) throws SQLException {
        backdateRelease(db, name);
        update(db, "update tunnel set closed_at = now() - interval '25 hours' where subdomain = ? "
                + "and closed_at is not null", name);
    }

    private static void backdateRelease(AgroalDataSource db, String name) throws SQLException {
        update(db, "update subdomain_release set released_at = now() - interval '25 hours' where name = ?",
                name);
    }

    private static void update(AgroalDataSource db, String sql, String name) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, name);
            s.executeUpdate();
        }
    }

    private static TunnelConfig cooldown(Duration cooldown) {
        return new TunnelConfig() {
            @Override
            public String tunnelDomain() {
                return "tunnel.localhost";
            }

            @Override
            public String reconcileEvery() {
                return "30s";
            }

            @Override
            public Duration subdomainCooldown() {
                return cooldown;
            }
        };
    }

    /** A name under no slug and nobody's yet. */
    private static String freeName() {
        return "n" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    private static io.restassured.response.Response reserve(Relay relay, String name) {
        return as(relay.service()).body(Map.of("name", name)).post("/v1/subdomains");
    }

    private static void release(Relay relay, String name) {
        as(relay.service()).delete("/v1/subdomains/" + name).then().statusCode(200);
    }
}
