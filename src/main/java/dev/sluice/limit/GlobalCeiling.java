package dev.sluice.limit;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Tuple;
import jakarta.transaction.Transactional;

import dev.sluice.web.ErrorCode;
import dev.sluice.web.SluiceException;

/**
 * The global ceiling: Σ of all accounts' day (and month) limits never exceeds {@code GLOBAL_DAY_LIMIT}
 * ({@code GLOBAL_MONTH_LIMIT}). Every limit change calls {@link #reserve} inside the transaction that writes the
 * account, so the allocation row and the accounts commit together.
 */
@ApplicationScoped
public class GlobalCeiling {

    /** Allocation in credits; the ceiling as configured, the allocated sum as committed. */
    public record Allocation(long dayCeiling, long monthCeiling, long dayAllocated, long monthAllocated) {
    }

    private final EntityManager em;
    private final long dayCeiling;
    private final long monthCeiling;

    public GlobalCeiling(EntityManager em, Credits credits, LimitConfig config) {
        this.em = em;
        this.dayCeiling = credits.fromUsd(config.globalDayLimit(), "GLOBAL_DAY_LIMIT");
        this.monthCeiling = credits.fromUsd(config.globalMonthLimit(), "GLOBAL_MONTH_LIMIT");
        // Keeps "allocated + delta" (each at most the ceiling) far from bigint overflow in SQL.
        if (dayCeiling > Long.MAX_VALUE / 4 || monthCeiling > Long.MAX_VALUE / 4) {
            throw new IllegalStateException("GLOBAL_DAY_LIMIT / GLOBAL_MONTH_LIMIT are too large for 64-bit credits");
        }
    }

    /**
     * Adds the deltas to the allocation if the result stays under both ceilings, else throws
     * {@code GLOBAL_CEILING_EXCEEDED}. A decrease always passes, even when an operator lowered the ceiling
     * below what is already allocated. It always takes the row lock, even for a zero change, because account
     * creation relies on it to serialise the check that a slug is free.
     *
     * <p>Safe across replicas: the single conditional UPDATE takes the row lock on the one
     * {@code global_allocation} row; a concurrent change waits for it, and PostgreSQL then re-evaluates the
     * WHERE clause against the committed row (READ COMMITTED's recheck), so two raises cannot both pass.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void reserve(long dayDelta, long monthDelta) {
        if (dayDelta > dayCeiling || monthDelta > monthCeiling) {
            throw exceeded(current(), dayDelta, monthDelta);
        }
        int updated = em.createNativeQuery("""
                update global_allocation
                   set day_allocated = day_allocated + :dayDelta,
                       month_allocated = month_allocated + :monthDelta
                 where id = 1
                   and (:dayDelta <= 0 or day_allocated + :dayDelta <= :dayCeiling)
                   and (:monthDelta <= 0 or month_allocated + :monthDelta <= :monthCeiling)
                """)
                .setParameter("dayDelta", dayDelta)
                .setParameter("monthDelta", monthDelta)
                .setParameter("dayCeiling", dayCeiling)
                .setParameter("monthCeiling", monthCeiling)
                .executeUpdate();
        if (updated == 0) {
            throw exceeded(current(), dayDelta, monthDelta);
        }
    }

    public Allocation current() {
        Tuple row = (Tuple) em.createNativeQuery(
                "select day_allocated, month_allocated from global_allocation where id = 1", Tuple.class)
                .getSingleResult();
        return new Allocation(dayCeiling, monthCeiling, ((Number) row.get("day_allocated")).longValue(),
                ((Number) row.get("month_allocated")).longValue());
    }

    private static SluiceException exceeded(Allocation now, long dayDelta, long monthDelta) {
        boolean day = dayDelta > 0 && now.dayAllocated() + dayDelta > now.dayCeiling();
        Map<String, Object> extras = new LinkedHashMap<>();
        extras.put("window", day ? "day" : "month");
        extras.put("ceiling", day ? now.dayCeiling() : now.monthCeiling());
        extras.put("allocated", day ? now.dayAllocated() : now.monthAllocated());
        extras.put("requested", day ? dayDelta : monthDelta);
        return new SluiceException(409, ErrorCode.GLOBAL_CEILING_EXCEEDED,
                "The change would push the sum of all " + (day ? "daily" : "monthly")
                        + " limits over the global ceiling.",
                extras, Map.of());
    }
}
