package dev.sluice.limit;

import static dev.sluice.Api.asRoot;
import static dev.sluice.Api.uniqueSlug;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sluice.Race;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * Many callers, each on its own database connection, create accounts and raise limits at the same moment
 * against a $10 daily ceiling: exactly as many succeed as fit, and the allocation always equals Σ limits.
 */
@QuarkusTest
@TestProfile(CeilingRaceTest.TenDollarCeiling.class)
class CeilingRaceTest {

    public static class TenDollarCeiling implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("global-day-limit", "10", "global-month-limit", "100000");
        }
    }

    static final int RACERS = 30;
    static final long DOLLAR = 1_000_000;

    @Inject
    AgroalDataSource db;

    @Test
    void racingCreatesNeverPassTheCeiling() throws Exception {
        long fit = (10 * DOLLAR - allocatedDay()) / DOLLAR;
        List<Integer> statuses = Race.run(RACERS, i -> () -> asRoot().body(Map.of("slug", uniqueSlug("race"), "dayUsd", 1))
                .post("/admin/accounts").statusCode());
        assertEquals(fit, statuses.stream().filter(s -> s == 201).count(), statuses.toString());
        assertEquals(RACERS - fit, statuses.stream().filter(s -> s == 409).count(), statuses.toString());
        assertAllocationIsTheSumAndUnderTheCeiling();

        // Free the whole allocation, then race raises of thirty different accounts.
        List<String> slugs = new ArrayList<>(slugsWithDayLimit());
        for (String slug : slugs) {
            asRoot().body(Map.of("dayLimit", 0)).patch("/admin/accounts/" + slug + "/limits").then().statusCode(200);
        }
        while (slugs.size() < RACERS) {
            String slug = uniqueSlug("race-zero");
            asRoot().body(Map.of("slug", slug, "dayLimit", 0)).post("/admin/accounts").then().statusCode(201);
            slugs.add(slug);
        }
        assertEquals(0, allocatedDay());
        List<Integer> raises = Race.run(RACERS, i -> () -> asRoot().body(Map.of("dayUsd", 1))
                .patch("/admin/accounts/" + slugs.get(i) + "/limits").statusCode());
        assertEquals(10, raises.stream().filter(s -> s == 200).count(), raises.toString());
        assertAllocationIsTheSumAndUnderTheCeiling();
    }

    @Test
    void racingChangesOfOneAccountKeepTheAllocationExact() throws Exception {
        String slug = uniqueSlug("same");
        asRoot().body(Map.of("slug", slug, "dayLimit", 0)).post("/admin/accounts").then().statusCode(201);
        long before = allocatedDay();
        List<Integer> statuses = Race.run(RACERS, i -> () -> asRoot().body(Map.of("dayLimit", (i % 5) * DOLLAR / 10))
                .patch("/admin/accounts/" + slug + "/limits").statusCode());
        assertTrue(statuses.stream().allMatch(s -> s == 200 || s == 409), statuses.toString());
        long limit = ((Number) asRoot().get("/admin/accounts/" + slug).path("dayLimit")).longValue();
        assertEquals(before + limit, allocatedDay());
        assertAllocationIsTheSumAndUnderTheCeiling();
    }

    private void assertAllocationIsTheSumAndUnderTheCeiling() throws SQLException {
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("""
                        select g.day_allocated, g.month_allocated,
                               (select coalesce(sum(day_limit), 0) from account),
                               (select coalesce(sum(month_limit), 0) from account)
                          from global_allocation g""")) {
            r.next();
            assertEquals(r.getLong(3), r.getLong(1), "day allocation = Σ day limits");
            assertEquals(r.getLong(4), r.getLong(2), "month allocation = Σ month limits");
            assertTrue(r.getLong(1) <= 10 * DOLLAR, "Σ day limits stays under the $10 ceiling");
        }
    }

    private long allocatedDay() throws SQLException {
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("select day_allocated from global_allocation")) {
            r.next();
            return r.getLong(1);
        }
    }

    private List<String> slugsWithDayLimit() throws SQLException {
        List<String> slugs = new ArrayList<>();
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("select slug from account where day_limit > 0")) {
            while (r.next()) {
                slugs.add(r.getString(1));
            }
        }
        return slugs;
    }
}
