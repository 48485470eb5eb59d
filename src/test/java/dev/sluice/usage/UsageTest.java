package dev.sluice.usage;

import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static dev.sluice.Api.createAccount;
import static dev.sluice.Api.uniqueSlug;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sluice.Api;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

@QuarkusTest
class UsageTest {

    @Inject
    AgroalDataSource db;

    record Account(String slug, String service, String api) {
    }

    static Account account(Map<String, Object> fields) {
        String slug = uniqueSlug("usage");
        String service = createAccount(slug, fields).path("serviceToken");
        return new Account(slug, service, Api.apiToken(slug, service));
    }

    static String open(Account a) {
        return as(a.api()).body(Map.of()).post("/v1/tunnels").then().statusCode(201).extract().path("id");
    }

    @Test
    void theViewHasEveryFieldOfTheContract() {
        Account a = account(Map.of("dayLimit", 1000, "monthLimit", 10_000));
        String tunnel = open(a);
        as(a.api()).body(Map.of("bytesIn", 1000, "bytesOut", 24)).post("/v1/tunnels/" + tunnel + "/lease").then()
                .statusCode(200);
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        Response view = as(a.api()).get("/v1/usage");
        view.then().statusCode(200)
                .body("slug", equalTo(a.slug())).body("plan", equalTo("free")).body("status", equalTo("active"))
                .body("level", equalTo("ok"))
                .body("day.used", equalTo(1)).body("day.leased", equalTo(50)).body("day.limit", equalTo(1000))
                .body("day.remaining", equalTo(949)).body("day.pct", equalTo(5))
                .body("day.resetAt", equalTo(today.plusDays(1) + "T00:00:00Z"))
                .body("month.used", equalTo(1)).body("month.remaining", equalTo(9949)).body("month.pct", equalTo(1))
                .body("month.resetAt", equalTo(today.withDayOfMonth(1).plusMonths(1) + "T00:00:00Z"))
                .body("usd.dayUsed", equalTo(0.000001f)).body("usd.dayLimit", equalTo(0.001f))
                .body("usd.monthLimit", equalTo(0.01f))
                .body("bytes.used", equalTo(1024)).body("bytes.limit", equalTo(5_368_709_120L))
                .body("bytes.resetAt", notNullValue())
                .body("sessionSeconds.limit", equalTo(7200)).body("sessionSeconds.used", greaterThanOrEqualTo(0))
                .body("openTunnels", equalTo(1)).body("concurrentMax", equalTo(100));
        as(a.service()).get("/v1/usage").then().statusCode(200).body("slug", equalTo(a.slug()));
        asRoot().get("/admin/accounts/" + a.slug() + "/usage").then().statusCode(200).body("day.used", equalTo(1));
        as(a.service()).get("/admin/accounts/" + a.slug() + "/usage").then().statusCode(200);
        as(a.api()).get("/admin/accounts/" + a.slug() + "/usage").then().statusCode(403);
        asRoot().get("/v1/usage").then().statusCode(403);
    }

    @Test
    void proPlansAreUnmeteredAndLevelsFollowTheBudget() {
        Account a = account(Map.of("plan", "pro", "dayLimit", 100, "leaseChunk", 50));
        String tunnel = open(a);
        as(a.api()).body(Map.of()).post("/v1/tunnels/" + tunnel + "/lease").then().statusCode(200);
        as(a.api()).body(Map.of("consumed", 30, "want", 30)).post("/v1/tunnels/" + tunnel + "/lease").then()
                .statusCode(200).body("level", equalTo("warn")).body("account.day.remaining", equalTo(19));
        as(a.api()).get("/v1/usage").then().body("bytes.limit", equalTo(0)).body("bytes.resetAt", nullValue())
                .body("sessionSeconds.limit", equalTo(0)).body("level", equalTo("warn"));
    }

    @Test
    void aDayRollsAtUtcMidnightWithLeasesCarriedOverAndIsKeptForTheSeries() throws SQLException {
        Account a = account(Map.of("dayLimit", 1000, "monthLimit", 100_000));
        String tunnel = open(a);
        as(a.api()).body(Map.of()).post("/v1/tunnels/" + tunnel + "/lease").then().statusCode(200);
        as(a.api()).body(Map.of("consumed", 20, "bytesIn", 5)).post("/v1/tunnels/" + tunnel + "/lease").then()
                .statusCode(200);
        // As if the calls so far had happened two days ago: the day bucket has not rolled yet.
        shiftDayStart(a.slug(), 2);
        as(a.api()).get("/v1/usage").then().body("day.used", equalTo(0)).body("day.leased", equalTo(80))
                .body("month.used", equalTo(21));
        Response series = as(a.api()).queryParam("days", 3).get("/v1/usage/series");
        LocalDate yesterday = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        series.then().statusCode(200)
                .body("fromDate", equalTo(yesterday.minusDays(2).toString()))
                .body("toDate", equalTo(yesterday.toString()))
                .body("buckets", hasSize(3))
                .body("buckets[1].date", equalTo(yesterday.minusDays(1).toString()))
                .body("buckets[1].totals.credit", equalTo(21))
                .body("buckets[1].totals.op", equalTo(20))
                .body("buckets[1].totals.byte_in", equalTo(5))
                .body("buckets[1].totals.tunnel", equalTo(1))
                .body("buckets[0].totals.credit", equalTo(0))
                .body("buckets[2].totals.credit", equalTo(0));
        // The next lease rolls the bucket for real; the leased credits carry over, the archived day stays.
        as(a.api()).body(Map.of("consumed", 50)).post("/v1/tunnels/" + tunnel + "/lease").then().statusCode(200)
                .body("account.day.used", equalTo(50)).body("account.day.leased", equalTo(80));
        as(a.api()).queryParam("days", 3).get("/v1/usage/series").then()
                .body("buckets[1].totals.credit", equalTo(21)).body("buckets[2].totals.credit", equalTo(0));
        List<Integer> credits = as(a.api()).get("/v1/usage/series").path("buckets.totals.credit");
        assertEquals(30, credits.size(), "30 days by default");
    }

    @Test
    void aNewMonthStartsAtZero() throws SQLException {
        Account a = account(Map.of("dayLimit", 1000, "monthLimit", 100_000));
        String tunnel = open(a);
        as(a.api()).body(Map.of("consumed", 0)).post("/v1/tunnels/" + tunnel + "/lease").then().statusCode(200);
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement("""
                update account_usage set month_start = month_start - interval '1 month', month_used = 5000,
                       day_start = day_start - 40
                 where account_id = (select account_id from account where slug = ?)""")) {
            s.setString(1, a.slug());
            s.executeUpdate();
        }
        as(a.api()).get("/v1/usage").then().body("month.used", equalTo(0)).body("month.leased", equalTo(50));
        as(a.api()).body(Map.of("consumed", 10)).post("/v1/tunnels/" + tunnel + "/lease").then()
                .body("account.month.used", equalTo(10)).body("account.day.used", equalTo(10));
    }

    @Test
    void byteAndSessionWindowsEndAfterSevenDaysAndTwentyFourHours() throws SQLException {
        Account a = account(Map.of("dayLimit", 1000, "monthLimit", 100_000));
        String tunnel = open(a);
        as(a.api()).body(Map.of("bytesIn", 700, "bytesOut", 24)).post("/v1/tunnels/" + tunnel + "/lease").then()
                .statusCode(200);
        // The windows started just over 7 days and 24 hours ago; 4 session seconds were used in them.
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement("""
                update account_usage set bytes_window_start = now() - interval '7 days 1 second',
                       session_window_start = now() - interval '24 hours 1 second', session_seconds_used = 4
                 where account_id = (select account_id from account where slug = ?)""")) {
            s.setString(1, a.slug());
            assertEquals(1, s.executeUpdate());
        }
        // Read as ended, without writing: nothing is running until the next use.
        as(a.api()).get("/v1/usage").then().statusCode(200)
                .body("bytes.used", equalTo(0)).body("bytes.resetAt", nullValue())
                .body("sessionSeconds.used", equalTo(0)).body("sessionSeconds.resetAt", nullValue())
                .body("day.used", equalTo(1));
        // The next lease ends them for real under the credit lock and starts a new byte window with its own bytes.
        as(a.api()).body(Map.of("bytesIn", 3)).post("/v1/tunnels/" + tunnel + "/lease").then().statusCode(200);
        as(a.api()).get("/v1/usage").then().statusCode(200)
                .body("bytes.used", equalTo(3)).body("bytes.resetAt", notNullValue());
        // Stored, not just read: the ended session window is gone (a new one may have started with this lease's
        // seconds), and the new byte window started now.
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement("""
                select bytes_window_start > now() - interval '1 minute',
                       coalesce(session_window_start > now() - interval '1 minute', session_seconds_used = 0)
                  from account_usage where account_id = (select account_id from account where slug = ?)""")) {
            s.setString(1, a.slug());
            try (var row = s.executeQuery()) {
                row.next();
                assertEquals(true, row.getBoolean(1), "a new 7-day window starts with the lease");
                assertEquals(true, row.getBoolean(2), "the ended 24-hour window was rolled under the credit lock");
            }
        }
    }

    @Test
    void seriesDaysOutsideOneToNinetyAre400() {
        Account a = account(Map.of());
        for (String days : new String[] { "0", "91", "-1", "x", "1.5" }) {
            as(a.api()).queryParam("days", days).get("/v1/usage/series").then().statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED")).body("field", equalTo("days"));
        }
        as(a.api()).queryParam("days", 90).get("/v1/usage/series").then().statusCode(200)
                .body("buckets", hasSize(90));
        as(a.api()).queryParam("days", 1).get("/v1/usage/series").then().statusCode(200).body("buckets", hasSize(1));
    }

    @Test
    void rootSeesEveryAccountWithTotals() {
        Account a = account(Map.of("dayLimit", 777));
        Response all = asRoot().get("/admin/usage");
        all.then().statusCode(200).body("totals.accounts", greaterThanOrEqualTo(1))
                .body("totals.day.limit", greaterThanOrEqualTo(777)).body("totals.usd.dayLimit", notNullValue())
                .body("accounts.find { it.slug == '" + a.slug() + "' }.day.limit", equalTo(777));
        as(a.service()).get("/admin/usage").then().statusCode(403);
    }

    private void shiftDayStart(String slug, int days) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement("""
                update account_usage set day_start = day_start - ?
                 where account_id = (select account_id from account where slug = ?)""")) {
            s.setInt(1, days);
            s.setString(2, slug);
            assertEquals(1, s.executeUpdate());
        }
    }
}
