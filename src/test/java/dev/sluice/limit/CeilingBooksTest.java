package dev.sluice.limit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;

/** The start-up check that global_allocation equals the sum of every account's limits. */
@QuarkusTest
class CeilingBooksTest {

    @Inject
    CeilingBooks books;
    @Inject
    AgroalDataSource db;

    @Test
    void booksThatAgreePassAndBooksThatDisagreeRefuseToRun() throws SQLException {
        assertDoesNotThrow(books::verify);
        shiftAllocation(+7);
        try {
            IllegalStateException refused = assertThrows(IllegalStateException.class, books::verify);
            assertTrue(refused.getMessage().contains("global ceiling's books disagree"), refused.getMessage());
        } finally {
            shiftAllocation(-7);
        }
        assertDoesNotThrow(books::verify);
    }

    private void shiftAllocation(long credits) throws SQLException {
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("update global_allocation set day_allocated = day_allocated + " + credits);
        }
    }
}
