package dev.sluice.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sluice.Race;
import io.agroal.api.AgroalDataSource;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/**
 * Many threads lease from one account through five tunnels at once, each reporting what it was granted as
 * consumed: the credits granted never exceed the limit, and the account's books balance afterwards.
 */
@QuarkusTest
class LeaseRaceTest {

    @Inject
    AgroalDataSource db;

    static final int THREADS = 24;
    static final long LIMIT = 2_000;

    @Test
    void concurrentLeasesNeverGrantMoreThanTheLimit() throws Exception {
        Relay relay = Relay.create("race", Map.of("plan", "pro", "dayLimit", LIMIT, "leaseChunk", 7));
        List<String> tunnels = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            tunnels.add(relay.open());
        }
        List<Long> grants = Race.run(THREADS, t -> () -> {
            String tunnel = tunnels.get(t % tunnels.size());
            long granted = 0;
            long refused = 0;
            for (int i = 0; i < 5_000 && refused < 3; i++) {
                Response lease = relay.lease(tunnel, 0L, null);
                if (lease.statusCode() == 429) {
                    // Answered by whichever thread ran the batch: still this request's id, as in its header.
                    assertEquals(lease.header("X-Request-Id"), lease.path("requestId"), lease.asString());
                    refused++;
                    continue;
                }
                assertEquals(200, lease.statusCode(), lease.asString());
                long got = ((Number) lease.path("granted")).longValue();
                granted += got;
                // Spend what this lease call gave; the tunnel's held pool absorbs it on the next call.
                Response spent = relay.lease(tunnel, got, 0L);
                assertTrue(spent.statusCode() == 200 || spent.statusCode() == 429, spent.asString());
            }
            return granted;
        });
        long granted = grants.stream().mapToLong(Long::longValue).sum();
        long registrations = tunnels.size();
        assertEquals(LIMIT - registrations, granted, "the budget is granted exactly, never beyond");
        long used;
        long leased;
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "select u.day_used, u.day_leased from account_usage u join account a using (account_id) where a.slug = ?")) {
            s.setString(1, relay.slug());
            try (ResultSet r = s.executeQuery()) {
                r.next();
                used = r.getLong(1);
                leased = r.getLong(2);
            }
        }
        assertTrue(used + leased <= LIMIT, "used " + used + " + leased " + leased);
        assertEquals(registrations + granted, used + leased, "every granted credit is either spent or still held");
    }
}
