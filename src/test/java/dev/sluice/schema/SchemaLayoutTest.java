package dev.sluice.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.flywaydb.core.api.FlywayException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layout of db/: each function's current text in exactly one repeatable migration, versioned migrations that
 * change tables and data only, and db/schema.sql as what the migrations produce; the same on a fresh database and on
 * one the earlier layout (V1-V17) migrated and the current one adopted.
 *
 * <p>{@code -Dsluice.schema.write=true} writes db/schema.sql afresh instead of comparing it.
 */
class SchemaLayoutTest {

    private static final Path DB = Path.of("db");
    private static final Pattern DEFINED = Pattern.compile(
            "(?im)^create\\s+(?:or\\s+replace\\s+)?(?:function|procedure)\\s+(\\w+)\\s*\\(");

    static ScratchDatabase fresh;
    static ScratchDatabase upgraded;

    @BeforeAll
    static void migrate() throws SQLException {
        fresh = ScratchDatabase.create("sluice_layout_fresh").migrated();
        upgraded = ScratchDatabase.create("sluice_layout_upgraded");
        upgraded.legacyFlyway("17").migrate();
        upgraded.migrated();
    }

    @AfterAll
    static void drop() throws SQLException {
        fresh.close();
        upgraded.close();
    }

    @Test
    void everyFunctionHasOneCurrentTextInOneFile() throws IOException, SQLException {
        Map<String, String> definedIn = new TreeMap<>();
        List<String> twice = new ArrayList<>();
        for (Path file : sqlFiles(DB.resolve("functions"))) {
            assertTrue(file.getFileName().toString().startsWith("R__"), file + " is a repeatable migration");
            Matcher m = DEFINED.matcher(Files.readString(file));
            while (m.find()) {
                String previous = definedIn.put(m.group(1), file.getFileName().toString());
                if (previous != null) {
                    twice.add(m.group(1) + " in " + previous + " and " + file.getFileName());
                }
            }
        }
        assertEquals(List.of(), twice, "functions defined more than once");
        assertEquals(definedIn.keySet(), functions(fresh).keySet().stream().map(s -> s.substring(0, s.indexOf('(')))
                .collect(Collectors.toCollection(java.util.TreeSet::new)), "functions on a fresh database");
        assertEquals(functions(fresh), functions(upgraded), "an upgraded database's functions, text for text");
    }

    @Test
    void versionedMigrationsChangeTablesAndDataOnly() throws IOException {
        Pattern functionText = Pattern.compile(
                "(?i)create\\s+(or\\s+replace\\s+)?(function|procedure)|pg_get_functiondef");
        for (Path file : sqlFiles(DB)) {
            assertTrue(file.getFileName().toString().matches("V\\d+__\\w+\\.sql|schema\\.sql"), "unexpected " + file);
            assertTrue(!functionText.matcher(Files.readString(file)).find(), file + " writes a function's text");
        }
    }

    @Test
    void schemaFileIsWhatTheMigrationsProduce() throws IOException, InterruptedException {
        String dumped = schemaOf(fresh);
        Path schemaFile = DB.resolve("schema.sql");
        if (Boolean.getBoolean("sluice.schema.write")) {
            Files.writeString(schemaFile, dumped);
        }
        assertEquals(Files.readString(schemaFile), dumped, "db/schema.sql (regenerate: -Dsluice.schema.write=true)");
        assertEquals(dumped, schemaOf(upgraded), "an upgraded database's schema");
    }

    @Test
    void migratingAgainChangesNothing() throws SQLException {
        Map<String, String> before = functions(fresh);
        assertEquals(0, fresh.flyway().migrate().migrationsExecuted);
        assertEquals(before, functions(fresh));
    }

    @Test
    void aDatabaseTheEarlierLayoutLeftShortOfItsLastVersionIsRefused() throws SQLException {
        try (ScratchDatabase stopped = ScratchDatabase.create("sluice_layout_stopped")) {
            stopped.legacyFlyway("16").migrate();
            FlywayException refused = assertThrows(FlywayException.class, stopped::migrated);
            assertTrue(refused.getMessage().contains("version 16 of the earlier migrations, not 17"),
                    refused.getMessage());
        }
    }

    @Test
    void aSchemaOfSomethingElseIsNotTakenOver() throws SQLException {
        try (ScratchDatabase foreign = ScratchDatabase.create("sluice_layout_foreign")) {
            try (Connection c = foreign.connect(); Statement s = c.createStatement()) {
                s.execute("create table invoices (id bigint primary key)");
            }
            FlywayException refused = assertThrows(FlywayException.class, foreign::migrated);
            assertTrue(refused.getMessage().contains("non-empty schema"), refused.getMessage());
        }
    }

    /** Signature to pg_get_functiondef, for every function and procedure of the schema. */
    private static Map<String, String> functions(ScratchDatabase database) throws SQLException {
        Map<String, String> found = new TreeMap<>();
        try (Connection c = database.connect(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("""
                        select p.oid::regprocedure::text as signature, pg_get_functiondef(p.oid) as definition
                          from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                         where n.nspname = current_schema()
                           and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass
                                              and d.objid = p.oid and d.deptype = 'e')
                        """)) {
            while (r.next()) {
                found.put(r.getString("signature"), r.getString("definition"));
            }
        }
        return found;
    }

    /** pg_dump's schema, less what changes from run to run and less the functions (db/functions holds those). */
    private static String schemaOf(ScratchDatabase database) throws IOException, InterruptedException {
        Process dump = new ProcessBuilder("pg_dump", "--schema-only", "--no-owner", "--no-privileges",
                "-T", SchemaMigration.HISTORY_TABLE, "-T", SchemaMigration.LEGACY_HISTORY_TABLE,
                "-h", ScratchDatabase.host(), "-p", ScratchDatabase.port(), "-U", "postgres", database.name)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, dump.waitFor(), "pg_dump");
        String[] sections = out.split("\n--\n-- Name: ");
        StringBuilder kept = new StringBuilder("-- The schema as the migrations leave it (pg_dump, functions left out:"
                + " db/functions holds them). Checked by SchemaLayoutTest.\n");
        for (int i = 1; i < sections.length; i++) {
            String section = sections[i];
            if (section.matches("(?s)[^\n]*; Type: (FUNCTION|PROCEDURE);.*")) {
                continue;
            }
            String body = Stream.of(section.split("\n"))
                    .filter(line -> !line.equals("--") && !line.startsWith("\\unrestrict")
                            && !line.startsWith("-- PostgreSQL database dump"))
                    .collect(Collectors.joining("\n")).strip();
            kept.append("\n-- Name: ").append(body).append("\n");
        }
        return kept.toString();
    }

    private static List<Path> sqlFiles(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> f.toString().endsWith(".sql")).sorted().toList();
        }
    }
}
