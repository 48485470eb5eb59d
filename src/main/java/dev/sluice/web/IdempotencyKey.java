package dev.sluice.web;

/** The {@code Idempotency-Key} request header, as Stripe defines it: 1 to 255 printable ASCII characters. */
public final class IdempotencyKey {

    public static final String HEADER = "Idempotency-Key";
    /** Stripe's bound on a key's length. */
    static final int MAX_LENGTH = 255;

    private IdempotencyKey() {
    }

    /** The header's value if it is a usable key, null if absent; 400 naming the header otherwise. */
    public static String requireValid(String key) {
        if (key == null) {
            return null;
        }
        if (key.isEmpty() || key.length() > MAX_LENGTH || !key.chars().allMatch(c -> c >= 0x20 && c <= 0x7e)) {
            throw SluiceException.validation(HEADER, "An Idempotency-Key is 1 to 255 printable ASCII characters.");
        }
        return key;
    }
}
