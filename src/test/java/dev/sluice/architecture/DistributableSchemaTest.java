package dev.sluice.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The schema stays distributable by account (Citus) while CI runs on plain PostgreSQL: these are the rules Citus
 * would enforce when {@code sluice_distribute()} runs, checked on the migrated schema.
 */
@QuarkusTest
class DistributableSchemaTest {

    /** Tables without account_id: reference tables, the name tables, Flyway's history. */
    private static final String NOT_BY_ACCOUNT = "('plan', 'global_allocation', 'stripe_event', 'account_slug', "
            + "'subdomain_claim', 'sluice_schema_history')";

    @Inject
    AgroalDataSource db;

    @Test
    void everyOtherTableIsKeyedByAccountAndEveryUniqueIndexIncludesIt() throws SQLException {
        assertEquals(List.of(), rows("""
                select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname = current_schema() and c.relkind = 'r' and c.relname not in %s
                   and not exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'account_id')
                """.formatted(NOT_BY_ACCOUNT)), "tables without account_id");
        assertEquals(List.of(), rows("""
                select i.indexrelid::regclass::text from pg_index i
                  join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname = current_schema() and i.indisunique and c.relname not in %s
                   and not exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'account_id'
                                     and a.attnum = any (i.indkey))
                """.formatted(NOT_BY_ACCOUNT)), "unique indexes without account_id");
    }

    @Test
    void foreignKeysAreOnesCitusAccepts() throws SQLException {
        // Between tables distributed by account, a key must pair account_id with account_id; towards plan (a
        // reference table) any key will do.
        assertEquals(List.of(), rows("""
                select c.conname from pg_constraint c join pg_namespace n on n.oid = c.connamespace
                 where n.nspname = current_schema() and c.contype = 'f'
                   and c.confrelid <> 'plan'::regclass
                   and not exists (select 1 from unnest(c.conkey, c.confkey) k(own, other)
                                    join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.own
                                    join pg_attribute b on b.attrelid = c.confrelid and b.attnum = k.other
                                   where a.attname = 'account_id' and b.attname = 'account_id')
                """), "foreign keys Citus refuses");
    }

    @Test
    void everySqlLanguageFunctionIsOneExpressionCitusNeverPlans() throws SQLException {
        // Citus cannot plan a parameterised SQL-language function over a distributed table, nor one PostgreSQL inlines
        // into a distributed statement as a subquery: a SQL function here is a single expression without FROM and
        // returns no set, so it becomes part of the expression that calls it, and every function that reads a table
        // is PL/pgSQL (each of its statements planned by Citus on its own). A cast to a table's row type reads nothing.
        assertEquals(List.of(), rows("""
                select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                  join pg_language l on l.oid = p.prolang
                 where n.nspname = current_schema() and l.lanname = 'sql'
                   and (p.proretset or p.prosrc ~* '\\mfrom\\M'
                        or exists (select 1 from pg_class c where c.relnamespace = n.oid and c.relkind = 'r'
                                     and p.prosrc ~* ('(?<!::)\\m' || c.relname || '\\M')))
                """), "SQL-language functions Citus could be asked to plan");
    }

    @Test
    void noFunctionForcesGenericPlansOnCitus() throws SQLException {
        // Citus routes a statement that is more than one table read by its distribution key only in a custom plan (it
        // makes generic ones look dear to PostgreSQL), so on Citus nothing may force a generic plan; on one
        // PostgreSQL settle_tunnels does (R__settlement.sql).
        List<String> forcing = rows("""
                select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                 where n.nspname = current_schema() and 'plan_cache_mode=force_generic_plan' = any (p.proconfig)
                """);
        if (rows("select extname from pg_extension where extname = 'citus'").isEmpty()) {
            assertEquals(List.of("settle_tunnels"), forcing);
        } else {
            assertEquals(List.of(), forcing);
        }
    }

    @Test
    void distributingRunsAgainWithoutHarm() throws SQLException {
        // Without Citus it returns at once; with Citus everything is distributed already, so it finds nothing to do.
        assertEquals(List.of(""), rows("select sluice_distribute()::text"));
        everyOtherTableIsKeyedByAccountAndEveryUniqueIndexIncludesIt();
    }

    private List<String> rows(String sql) throws SQLException {
        try (Connection c = db.getConnection(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            List<String> found = new ArrayList<>();
            while (r.next()) {
                found.add(r.getString(1) == null ? "" : r.getString(1));
            }
            return found;
        }
    }
}
