package dev.sluice.schema;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.flywaydb.core.Flyway;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A database of a test's own on the test server (the one the suite's profile names), dropped and created afresh,
 * migrated by Flyway without booting the service: for tests of the schema and of the SQL functions themselves.
 */
final class ScratchDatabase implements AutoCloseable {

    /** The suite's server; a run against another (Citus, say) passes the same property the Quarkus tests read. */
    static final String SERVER_URL = System.getProperty("%test.quarkus.datasource.jdbc.url",
            "jdbc:postgresql://127.0.0.1:5432/test");
    private static final Pattern HOST_PORT = Pattern.compile("jdbc:postgresql://([^:/]+):?(\\d*)/.*");

    final String name;
    final PGSimpleDataSource dataSource;

    private ScratchDatabase(String name) {
        this.name = name;
        this.dataSource = new PGSimpleDataSource();
        dataSource.setURL(url(name));
        dataSource.setUser("postgres");
    }

    /** Drops the named database if it is there and creates it empty. */
    static ScratchDatabase create(String name) throws SQLException {
        try (Connection c = DriverManager.getConnection(url("postgres"), "postgres", null);
                Statement s = c.createStatement()) {
            s.execute("drop database if exists " + name + " with (force)");
            s.execute("create database " + name);
        }
        return new ScratchDatabase(name);
    }

    /** Migrates it as the service does. */
    ScratchDatabase migrated() {
        flyway().migrate();
        return this;
    }

    /** The service's Flyway for this database. */
    Flyway flyway() {
        return SchemaMigration.configure(Flyway.configure().dataSource(dataSource).locations("classpath:db/migration"))
                .load();
    }

    /** Flyway for the earlier layout (V1-V17, kept as test resources), up to the given version. */
    Flyway legacyFlyway(String target) {
        return Flyway.configure().dataSource(dataSource).locations("classpath:db/legacy").target(target).load();
    }

    Connection connect() throws SQLException {
        return dataSource.getConnection();
    }

    static String host() {
        return hostPort().group(1);
    }

    static String port() {
        String port = hostPort().group(2);
        return port.isEmpty() ? "5432" : port;
    }

    private static Matcher hostPort() {
        Matcher m = HOST_PORT.matcher(SERVER_URL);
        if (!m.matches()) {
            throw new IllegalStateException("Not a PostgreSQL JDBC URL: " + SERVER_URL);
        }
        return m;
    }

    private static String url(String database) {
        return "jdbc:postgresql://" + host() + ":" + port() + "/" + database;
    }

    @Override
    public void close() throws SQLException {
        try (Connection c = DriverManager.getConnection(url("postgres"), "postgres", null);
                Statement s = c.createStatement()) {
            s.execute("drop database if exists " + name + " with (force)");
        }
    }
}
