package dev.sluice.tunnel;

import static dev.sluice.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sluice.Race;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * A hostname belongs to one account at a time (its {@code subdomain_claim} row): a name another account reserves or
 * has open is refused, one it has let go of is taken over once its cool-off has passed, and accounts racing for one
 * name get it once. (SubdomainRulesTest: whose a free name is.)
 */
@QuarkusTest
class SubdomainClaimTest {

    @Inject
    AgroalDataSource db;

    @Test
    void aNameIsTakenOverOnlyOnceItsHolderNeitherReservesItNorHasItOpenNorIsCoolingOff() throws SQLException {
        Relay first = Relay.create("claim-a", Map.of("plan", "pro", "dayLimit", 10_000));
        Relay second = Relay.create("claim-b", Map.of("plan", "pro", "dayLimit", 10_000));
        String name = "shared-" + first.slug();
        String tunnel = first.register(Map.of("subdomain", name)).then().statusCode(201).extract().path("id");
        // Released while its tunnel is still open: still the first account's.
        as(first.service()).delete("/v1/subdomains/" + name).then().statusCode(200);
        second.register(Map.of("subdomain", name)).then().statusCode(409);
        as(second.service()).body(Map.of("name", name)).post("/v1/subdomains").then().statusCode(409);

        first.close(tunnel, 0).then().statusCode(200);
        as(second.service()).body(Map.of("name", name)).post("/v1/subdomains").then().statusCode(409)
                .body("code", equalTo("SUBDOMAIN_TAKEN"));
        SubdomainRulesTest.endCoolOff(db, name);
        as(second.service()).body(Map.of("name", name)).post("/v1/subdomains").then().statusCode(201);
        first.register(Map.of("subdomain", name)).then().statusCode(409);
        as(first.service()).body(Map.of("name", name)).post("/v1/subdomains").then().statusCode(409);
        second.register(Map.of("subdomain", name)).then().statusCode(201);

        as(second.service()).delete("/v1/subdomains/" + name).then().statusCode(200);
        first.register(Map.of("subdomain", name)).then().statusCode(409); // the second's tunnel is open on it
    }

    @Test
    void aNameAnotherAccountHoldsIsAnswered409EvenAtThePlansCap() {
        Relay holder = Relay.create("claim-held", Map.of("plan", "pro", "dayLimit", 10_000));
        Relay capped = Relay.create("claim-capped", Map.of("plan", "pro", "dayLimit", 10_000));
        String name = "held-" + holder.slug();
        as(holder.service()).body(Map.of("name", name)).post("/v1/subdomains").then().statusCode(201);
        for (int i = 0; i < 10; i++) { // Pro's cap
            as(capped.service()).body(Map.of("name", "own" + i + "-" + capped.slug())).post("/v1/subdomains").then()
                    .statusCode(201);
        }
        // At the cap: a held name is refused for being taken, a free one for the cap.
        as(capped.service()).body(Map.of("name", name)).post("/v1/subdomains").then().statusCode(409)
                .body("code", equalTo("SUBDOMAIN_TAKEN"));
        as(capped.service()).body(Map.of("name", "more-" + capped.slug())).post("/v1/subdomains").then()
                .statusCode(403).body("code", equalTo("PLAN_LIMIT_REACHED"));
    }

    @Test
    void accountsRacingForAFreeOrALetGoNameGetItOnce() throws Exception {
        List<Relay> racers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            racers.add(Relay.create("claim-race", Map.of("plan", "pro", "dayLimit", 10_000)));
        }
        String free = "race-" + racers.get(0).slug();
        assertEquals(1, winners(racers, free), "a free name");

        String letGo = "gone-" + racers.get(0).slug();
        Relay holder = racers.get(0);
        as(holder.service()).body(Map.of("name", letGo)).post("/v1/subdomains").then().statusCode(201);
        as(holder.service()).delete("/v1/subdomains/" + letGo).then().statusCode(200);
        SubdomainRulesTest.endCoolOff(db, letGo);
        assertEquals(1, winners(racers.subList(1, racers.size()), letGo), "a name its holder let go of");
    }

    @Test
    void aRegistrationOnItsOwnReservationRacingItsReleaseNeverSharesTheName() throws Exception {
        Relay owner = Relay.create("claim-own", Map.of("plan", "pro", "dayLimit", 10_000));
        Relay other = Relay.create("claim-rival", Map.of("plan", "pro", "dayLimit", 10_000));
        for (int round = 0; round < 5; round++) {
            String name = "own-" + round + "-" + owner.slug();
            as(owner.service()).body(Map.of("name", name)).post("/v1/subdomains").then().statusCode(201);
            List<Integer> codes = Race.run(3, i -> () -> switch (i) {
                case 0 -> owner.register(Map.of("subdomain", name)).statusCode();
                case 1 -> as(owner.service()).delete("/v1/subdomains/" + name).statusCode();
                default -> other.register(Map.of("subdomain", name)).statusCode();
            });
            assertTrue(codes.stream().allMatch(code -> code == 200 || code == 201 || code == 409), "answered " + codes);
            long open = openOn(owner, name) + openOn(other, name);
            assertTrue(open <= 1, "round " + round + ": " + open + " open tunnels on " + name + ", answers " + codes);
        }
    }

    private static long openOn(Relay relay, String name) {
        List<String> subdomains = as(relay.api()).get("/v1/tunnels").then().statusCode(200).extract()
                .path("tunnels.subdomain");
        return subdomains.stream().filter(name::equals).count();
    }

    /** How many of the accounts reserved the name when all asked at once; every other answer must be 409. */
    private static long winners(List<Relay> racers, String name) throws Exception {
        List<Integer> codes = Race.run(racers.size(), i -> () -> as(racers.get(i).service())
                .body(Map.of("name", name)).post("/v1/subdomains").statusCode());
        codes.forEach(code -> assertTrue(code == 201 || code == 409, "answered " + codes));
        return codes.stream().filter(code -> code == 201).count();
    }
}
