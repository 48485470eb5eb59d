package dev.sluice.usage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;


import com.fasterxml.jackson.annotation.JsonProperty;

import dev.sluice.auth.Slugs;
import dev.sluice.money.Settlements;
import dev.sluice.web.Pages;
import dev.sluice.web.SluiceException;
import io.agroal.api.AgroalDataSource;

/**
 * The usage export (contract §13): every account's closed UTC days from usage_daily, in (date, account) order, a page
 * at a time after an opaque cursor (the last line's date and account). Before it reads, every account whose usage
 * row still holds a day that has ended is rolled into usage_daily ({@link Settlements#rollEndedDays}), so every day
 * before today is complete when read, and no line can appear later before a cursor already handed out: a resumed
 * export has no gaps and no repeats. Accounts are ordered by slug, byte by byte ({@code COLLATE "C"}), as the cursor
 * compares them.
 */
@ApplicationScoped
public class UsageExport {

    static final int DEFAULT_LINES = 1000;
    static final int MAX_LINES = 10_000;
    private static final String CURSOR_SEPARATOR = "/";

    /** One line of the export, a day of one account's usage. */
    public record Line(LocalDate date, String account, long credit, long op,
            @JsonProperty("byte_in") long byteIn, @JsonProperty("byte_out") long byteOut,
            @JsonProperty("session_second") long sessionSecond, long tunnel) {
    }

    /** A page: its lines, the cursor after its last (after the request's own when empty), whether it was full. */
    public record Page(List<Line> lines, String cursor, boolean full) {
    }

    private record After(LocalDate day, String slug) {
    }

    @Inject
    AgroalDataSource db;
    @Inject
    Settlements settlements;

    public Page page(String after, Integer limit) {
        int size = Pages.size(limit, DEFAULT_LINES, MAX_LINES);
        // An empty cursor is the start, as the first page's own (absent) Next-Cursor passed on would be.
        After from = after == null || after.isEmpty() ? null : after(after);
        LocalDate today = settlements.rollEndedDays();
        try (Connection connection = db.getConnection()) {
            List<Line> lines = read(connection, today, from, size);
            String cursor = lines.isEmpty() ? (from == null ? null : after)
                    : cursor(lines.get(lines.size() - 1).date(), lines.get(lines.size() - 1).account());
            return new Page(lines, cursor, lines.size() == size);
        } catch (SQLException e) {
            throw new IllegalStateException("usage export failed", e);
        }
    }

    private static List<Line> read(Connection connection, LocalDate today, After from, int size) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("""
                select d.day, a.slug, d.credit, d.op, d.byte_in, d.byte_out, d.session_second, d.tunnel
                  from usage_daily d join account a on a.account_id = d.account_id
                 where d.day < ? and d.day >= ?
                   and (d.day, a.slug collate "C") > (cast(? as date), cast(? as text))
                 order by d.day, a.slug collate "C"
                 limit ?""")) {
            // From the beginning: a day before any the service has kept, after the empty slug, which every slug
            // follows.
            LocalDate day = from == null ? LocalDate.of(1970, 1, 1) : from.day();
            statement.setObject(1, today);
            statement.setObject(2, day);
            statement.setObject(3, day);
            statement.setString(4, from == null ? "" : from.slug());
            statement.setInt(5, size);
            try (ResultSet row = statement.executeQuery()) {
                List<Line> lines = new ArrayList<>();
                while (row.next()) {
                    lines.add(new Line(row.getObject("day", LocalDate.class), row.getString("slug"),
                            row.getLong("credit"), row.getLong("op"), row.getLong("byte_in"),
                            row.getLong("byte_out"), row.getLong("session_second"), row.getLong("tunnel")));
                }
                return lines;
            }
        }
    }

    static String cursor(LocalDate day, String slug) {
        return Pages.cursor(day + CURSOR_SEPARATOR + slug);
    }

    /** The line a cursor names; 400 naming {@code after} for anything this service did not make. */
    private static After after(String cursor) {
        String[] parts = Pages.text(cursor, "after").split(CURSOR_SEPARATOR, 2);
        LocalDate day;
        String slug;
        try {
            day = LocalDate.parse(parts[0]);
            slug = Slugs.require(parts.length == 2 ? parts[1] : null, "after");
        } catch (DateTimeParseException | SluiceException e) {
            throw Pages.notACursor("after");
        }
        // The years a cursor this service made can name; PostgreSQL refuses a date past 5874897 AD.
        if (day.getYear() < 1 || day.getYear() > 9999) {
            throw Pages.notACursor("after");
        }
        return new After(day, slug);
    }
}
