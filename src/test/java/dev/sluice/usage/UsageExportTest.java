package dev.sluice.usage;

import static dev.sluice.Api.apiToken;
import static dev.sluice.Api.as;
import static dev.sluice.Api.asRoot;
import static dev.sluice.Api.serviceToken;
import static dev.sluice.Api.uniqueSlug;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sluice.Sql;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/** GET /admin/export/usage (contract §13): closed days in (date, account) order, resumed by cursor. */
@QuarkusTest
class UsageExportTest {

    static final String NDJSON = "application/x-ndjson";
    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    Sql sql;

    @Test
    void pagesResumedFromTheirCursorsAreTheWholeExportWithNoGapAndNoRepeat() throws Exception {
        String first = uniqueSlug("export-a");
        String second = uniqueSlug("export-b");
        for (String slug : List.of(first, second)) {
            serviceToken(slug);
            for (int daysAgo = 1; daysAgo <= 3; daysAgo++) {
                daily(sql.accountId(slug), daysAgo, 100L * daysAgo + slug.length());
            }
        }
        List<JsonNode> whole = lines(page(null, 10_000));
        List<JsonNode> paged = new ArrayList<>();
        String cursor = null;
        for (int pages = 0; pages < 10_000; pages++) {
            Response response = page(cursor, 2);
            List<JsonNode> lines = lines(response);
            paged.addAll(lines);
            assertTrue(lines.size() <= 2);
            if (lines.size() < 2) {
                assertNull(response.header("Link"), "a page that is not full links no next one");
                break;
            }
            assertNotNull(response.header("Link"));
            cursor = response.header("Next-Cursor");
        }
        assertEquals(whole, paged);
        for (int i = 1; i < whole.size(); i++) {
            String previous = key(whole.get(i - 1));
            String next = key(whole.get(i));
            assertTrue(previous.compareTo(next) < 0, previous + " before " + next);
        }
        LocalDate yesterday = LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1);
        JsonNode line = whole.stream().filter(l -> l.path("account").asText().equals(first)
                && l.path("date").asText().equals(yesterday.toString())).findFirst().orElseThrow();
        assertEquals(100 + first.length(), line.path("credit").asLong());
        assertEquals(List.of("date", "account", "credit", "op", "byte_in", "byte_out", "session_second", "tunnel"),
                fieldNames(line));

        // From the last line on, nothing more until another day ends; the cursor keeps its place.
        Response after = page(cursor(whole), 10);
        assertEquals(List.of(), lines(after));
        assertEquals(cursor(whole), after.header("Next-Cursor"));
    }

    @Test
    void aDayThatEndedWithoutAnyCallIsRolledUpBeforeItIsExported() throws Exception {
        String slug = uniqueSlug("export-roll");
        long account = lastCalledYesterday(slug, 42);
        assertEquals(0, sql.count("select count(*) from usage_daily where account_id = ?", account));
        String before = asRoot().get("/admin/accounts/" + slug + "/usage").then().statusCode(200).extract()
                .asString();

        List<JsonNode> mine = lines(page(null, 10_000)).stream()
                .filter(l -> l.path("account").asText().equals(slug)).toList();

        assertEquals(1, mine.size(), mine.toString());
        assertEquals(LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1).toString(), mine.get(0).path("date")
                .asText());
        assertTrue(mine.get(0).path("credit").asLong() >= 42, mine.toString());
        assertEquals(1, mine.get(0).path("tunnel").asLong());
        assertEquals(1, sql.count("select count(*) from usage_daily where account_id = ?", account));
        assertEquals(before, asRoot().get("/admin/accounts/" + slug + "/usage").then().statusCode(200).extract()
                .asString(), "the roll is what the next call would do: the view shows the same");
    }

    @Test
    void aDayAnAccountDidNothingInHasNoLine() throws Exception {
        String slug = uniqueSlug("export-idle");
        serviceToken(slug);
        long account = sql.accountId(slug);
        sql.update("update account_usage set day_start = day_start - 2 where account_id = ?", account);

        assertTrue(lines(page(null, 10_000)).stream().noneMatch(l -> l.path("account").asText().equals(slug)));
        assertEquals(0, sql.count("select count(*) from usage_daily where account_id = ?", account));
        assertEquals(1, sql.count("select count(*) from account_usage where account_id = ? "
                + "and day_start = (now() at time zone 'utc')::date", account), "rolled to today all the same");
    }

    @Test
    void badCursorsAndLimitsAre400AndOnlyRootExports() {
        // not base64; no date; month 13; a slug of "__"; years -1, 10000 and 9999999 (the last past PostgreSQL's dates)
        for (String bad : List.of("not-base64!", "bm90IGEgY3Vyc29y", "MjAyNi0xMy0wMS9hY21l", "MjAyNi0wMS0wMS9fXw",
                "LTAwMDEtMDEtMDEvYWNtZQ", "KzEwMDAwLTAxLTAxL2FjbWU", "Kzk5OTk5OTktMDEtMDEvYWNtZQ")) {
            asRoot().accept(NDJSON).get("/admin/export/usage?after=" + bad).then().statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED")).body("field", equalTo("after"));
        }
        for (String bad : List.of("0", "10001", "-1", "ten")) {
            asRoot().accept(NDJSON).get("/admin/export/usage?limit=" + bad).then().statusCode(400)
                    .body("code", equalTo("VALIDATION_FAILED")).body("field", equalTo("limit"));
        }
        String slug = uniqueSlug("export-denied");
        String service = serviceToken(slug);
        for (String owner : List.of(service, apiToken(slug, service))) {
            as(owner).accept(NDJSON).get("/admin/export/usage").then().statusCode(403)
                    .body("code", equalTo("FORBIDDEN"));
        }
        as("vtr_nope").accept(NDJSON).get("/admin/export/usage").then().statusCode(401)
                .body("code", equalTo("UNAUTHORIZED")).header("WWW-Authenticate", startsWith("Bearer"));
        given().accept(NDJSON).get("/admin/export/usage").then().statusCode(401)
                .body("code", equalTo("UNAUTHORIZED")).header("WWW-Authenticate", startsWith("Bearer"));
        // Only NDJSON is made here: asked for JSON alone, the answer says so.
        asRoot().accept("application/json").get("/admin/export/usage").then().statusCode(406)
                .body("code", equalTo("VALIDATION_FAILED"))
                .body("message", equalTo("No media type in Accept is one this path answers in."));
    }

    @Test
    void anEmptyCursorIsTheStart() throws Exception {
        String slug = uniqueSlug("export-empty");
        lastCalledYesterday(slug, 7);

        Response fromStart = page(null, 10_000);
        Response fromEmpty = page("", 10_000);

        assertEquals(lines(fromStart), lines(fromEmpty));
        assertTrue(lines(fromEmpty).stream().anyMatch(l -> l.path("account").asText().equals(slug)));
        assertEquals(fromStart.header("Next-Cursor"), fromEmpty.header("Next-Cursor"));
    }

    /**
     * An account whose one tunnel consumed {@code consumed} credits and closed, its last call made yesterday: its usage
     * row still holds that day, which nothing has rolled. Answers its id.
     */
    private long lastCalledYesterday(String slug, long consumed) throws SQLException {
        String api = apiToken(slug, serviceToken(slug));
        String tunnel = as(api).body(Map.of()).post("/v1/tunnels").then().statusCode(201).extract().path("id");
        as(api).body(Map.of("consumed", consumed)).post("/v1/tunnels/" + tunnel + "/close").then().statusCode(200);
        long account = sql.accountId(slug);
        sql.update("update account_usage set day_start = day_start - 1 where account_id = ?", account);
        return account;
    }

    private static Response page(String after, int limit) {
        return asRoot().accept(NDJSON)
                .get("/admin/export/usage?limit=" + limit + (after == null ? "" : "&after=" + after)).then()
                .statusCode(200).contentType(NDJSON).extract().response();
    }

    private static List<JsonNode> lines(Response response) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : response.asString().split("\n")) {
            if (!line.isEmpty()) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }

    private static String key(JsonNode line) {
        return line.path("date").asText() + " " + line.path("account").asText();
    }

    /** The cursor after the last of these lines, as the export makes it. */
    private static String cursor(List<JsonNode> lines) {
        JsonNode last = lines.get(lines.size() - 1);
        return UsageExport.cursor(LocalDate.parse(last.path("date").asText()), last.path("account").asText());
    }

    private static List<String> fieldNames(JsonNode line) {
        List<String> names = new ArrayList<>();
        line.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private void daily(long account, int daysAgo, long credits) throws SQLException {
        sql.update("insert into usage_daily (account_id, day, credit, op, byte_in, byte_out, session_second, tunnel) "
                + "values (?, (now() at time zone 'utc')::date - ?, ?, 1, 2, 3, 4, 5)", account, daysAgo, credits);
    }
}
