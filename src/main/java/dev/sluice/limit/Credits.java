package dev.sluice.limit;

import java.math.BigDecimal;
import java.math.RoundingMode;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sluice.web.SluiceException;

/**
 * Converts between dollars and credits exactly: {@code credits = round(usd / COST_PER_OP_USD)}, half up, in
 * {@link BigDecimal}; credits are {@code long}. A dollar amount that is negative or does not fit a 64-bit
 * credit count is a 400 naming the field.
 */
@ApplicationScoped
public class Credits {

    private final BigDecimal costPerOp;

    @Inject
    public Credits(LimitConfig config) {
        this(config.costPerOpUsd());
    }

    Credits(BigDecimal costPerOp) {
        if (costPerOp.signum() <= 0) {
            throw new IllegalStateException("COST_PER_OP_USD must be positive, got " + costPerOp.toPlainString());
        }
        this.costPerOp = costPerOp;
    }

    public long fromUsd(BigDecimal usd, String field) {
        if (usd.signum() < 0) {
            throw SluiceException.validation(field, "'" + field + "' must not be negative.");
        }
        // Refuse absurd magnitudes before dividing: 1e999999999 would overflow BigDecimal, 1e60000000 take ages.
        if (usd.precision() - usd.scale() > 19 || usd.scale() > 30) {
            throw SluiceException.validation(field, "'" + field + "' is out of range.");
        }
        BigDecimal credits = usd.divide(costPerOp, 0, RoundingMode.HALF_UP);
        if (credits.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw SluiceException.validation(field, "'" + field + "' is too large.");
        }
        return credits.longValueExact();
    }

    public BigDecimal toUsd(long credits) {
        return toUsd(java.math.BigInteger.valueOf(credits));
    }

    /** Exact for totals across accounts, which may pass what a long holds. */
    public BigDecimal toUsd(java.math.BigInteger credits) {
        BigDecimal usd = new BigDecimal(credits).multiply(costPerOp).stripTrailingZeros();
        return usd.scale() < 0 ? usd.setScale(0) : usd;
    }
}
