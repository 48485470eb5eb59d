package dev.sluice.schema;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.sql.DataSource;

import jakarta.inject.Singleton;

import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.flywaydb.core.api.configuration.FluentConfiguration;

import io.quarkus.flyway.FlywayConfigurationCustomizer;

/**
 * How Flyway migrates the Sluice schema, for the service (Quarkus hands it its configuration) and for tests that
 * migrate a database of their own: versioned migrations ({@code db/V<n>__*.sql}) change tables and data, repeatable
 * ones ({@code db/functions/R__*.sql}) hold each function's one current text, and after every migration the
 * distribution step runs (Citus; nothing on one PostgreSQL).
 *
 * <p>The history lives in {@code sluice_schema_history}. A database that the earlier layout migrated (V1 to V17 in
 * {@code flyway_schema_history}) holds exactly what {@code V1__schema.sql} creates, so it is adopted at version 1
 * and only what came after runs; a database stopped at another of those versions is refused with one line that says
 * what to do.
 */
@Singleton
public class SchemaMigration implements FlywayConfigurationCustomizer {

    public static final String HISTORY_TABLE = "sluice_schema_history";
    static final String LEGACY_HISTORY_TABLE = "flyway_schema_history";
    /** The last version of the earlier layout; {@code V1__schema.sql} restates the schema it left. */
    static final String LEGACY_LAST_VERSION = "17";

    @Override
    public void customize(FluentConfiguration configuration) {
        configure(configuration);
    }

    /** Sets the history table, the adoption of an earlier layout's database, and the distribution callback. */
    public static FluentConfiguration configure(FluentConfiguration configuration) {
        List<Callback> callbacks = new ArrayList<>(Arrays.asList(configuration.getCallbacks()));
        callbacks.add(new DistributeAfterMigrate());
        configuration.table(HISTORY_TABLE).callbacks(callbacks.toArray(Callback[]::new));
        if (needsAdoption(configuration.getDataSource())) {
            configuration.baselineOnMigrate(true).baselineVersion("1")
                    .baselineDescription("schema of the V1-V" + LEGACY_LAST_VERSION + " layout");
        }
        return configuration;
    }

    /**
     * True when the database was migrated by the earlier layout to its last version and not yet by this one; throws
     * when the earlier layout stopped anywhere else (its tables would not be what V1 restates).
     */
    static boolean needsAdoption(DataSource dataSource) {
        try (Connection c = dataSource.getConnection()) {
            if (tableExists(c, HISTORY_TABLE) || !tableExists(c, LEGACY_HISTORY_TABLE)) {
                return false;
            }
            try (Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("select version, success from " + LEGACY_HISTORY_TABLE
                            + " where version is not null order by installed_rank desc limit 1")) {
                String version = r.next() ? r.getString("version") : null;
                boolean success = version != null && r.getBoolean("success");
                if (LEGACY_LAST_VERSION.equals(version) && success) {
                    return true;
                }
                throw new FlywayException("The database's schema is at version " + version
                        + (success ? "" : " (failed)") + " of the earlier migrations, not " + LEGACY_LAST_VERSION
                        + ": migrate it to " + LEGACY_LAST_VERSION + " with a Sluice release of that layout first.");
            }
        } catch (SQLException e) {
            throw new FlywayException("Could not read the database's migration history: " + e.getMessage(), e);
        }
    }

    private static boolean tableExists(Connection c, String table) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("select to_regclass(?) is not null as present")) {
            s.setString(1, table);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getBoolean("present");
            }
        }
    }

    /**
     * Flyway's afterMigrate: distributes by account whatever is not distributed yet (sluice_distribute, in
     * db/functions/R__citus_distribution.sql), so a table a versioned migration added and a function a repeatable
     * one created are on the workers before the service serves. Idempotent; nothing without Citus.
     */
    static final class DistributeAfterMigrate implements Callback {

        @Override
        public boolean supports(Event event, Context context) {
            return event == Event.AFTER_MIGRATE;
        }

        @Override
        public boolean canHandleInTransaction(Event event, Context context) {
            return true;
        }

        @Override
        public void handle(Event event, Context context) {
            try (Statement s = context.getConnection().createStatement()) {
                s.execute("select sluice_distribute()");
            } catch (SQLException e) {
                throw new FlywayException("Distributing the schema failed: " + e.getMessage(), e);
            }
        }

        @Override
        public String getCallbackName() {
            return "distribute";
        }
    }
}
