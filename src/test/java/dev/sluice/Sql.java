package dev.sluice;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.agroal.api.AgroalDataSource;

/** Test helper: statements on the service's own pool, to arrange rows an API cannot make (history) and read them. */
@ApplicationScoped
public class Sql {

    @Inject
    AgroalDataSource db;

    /** The first column of the first row as a number (a count, an id). */
    public long count(String sql, Object... parameters) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = prepare(c, sql, parameters);
                ResultSet row = s.executeQuery()) {
            row.next();
            return row.getLong(1);
        }
    }

    /** The first column of every row, as text. */
    public List<String> list(String sql, Object... parameters) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = prepare(c, sql, parameters);
                ResultSet row = s.executeQuery()) {
            List<String> values = new ArrayList<>();
            while (row.next()) {
                values.add(row.getString(1));
            }
            return values;
        }
    }

    public int update(String sql, Object... parameters) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement s = prepare(c, sql, parameters)) {
            return s.executeUpdate();
        }
    }

    public long accountId(String slug) throws SQLException {
        return count("select account_id from account where slug = ?", slug);
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... parameters) throws SQLException {
        PreparedStatement s = c.prepareStatement(sql);
        for (int i = 0; i < parameters.length; i++) {
            s.setObject(i + 1, parameters[i]);
        }
        return s;
    }
}
