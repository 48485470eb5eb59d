package dev.sluice.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;

import org.junit.jupiter.api.Test;

import dev.sluice.web.ErrorCode;
import dev.sluice.web.SluiceException;

class CreditsTest {

    private final Credits credits = new Credits(new BigDecimal("0.000001"));

    @Test
    void dollarsRoundHalfUpToWholeCredits() {
        assertEquals(1_000_000, credits.fromUsd(new BigDecimal("1"), "dayUsd"));
        assertEquals(1, credits.fromUsd(new BigDecimal("0.0000005"), "dayUsd"));
        assertEquals(0, credits.fromUsd(new BigDecimal("0.0000004999"), "dayUsd"));
        assertEquals(123_456_789, credits.fromUsd(new BigDecimal("123.456789"), "dayUsd"));
        assertEquals(new BigDecimal("123.456789"), credits.toUsd(123_456_789));
        assertEquals(new BigDecimal("10"), credits.toUsd(10_000_000));
        assertEquals("10", credits.toUsd(10_000_000).toPlainString());
    }

    @Test
    void negativeOrOverflowingDollarsAre400() {
        SluiceException negative = assertThrows(SluiceException.class,
                () -> credits.fromUsd(new BigDecimal("-1"), "monthUsd"));
        assertEquals(400, negative.status());
        assertEquals("monthUsd", negative.extras().get("field"));
        SluiceException huge = assertThrows(SluiceException.class,
                () -> credits.fromUsd(new BigDecimal("1e20"), "dayUsd"));
        assertEquals(ErrorCode.VALIDATION_FAILED, huge.code());
        assertThrows(IllegalStateException.class, () -> new Credits(BigDecimal.ZERO));
    }
}
