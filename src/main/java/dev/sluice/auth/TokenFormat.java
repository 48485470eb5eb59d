package dev.sluice.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

/**
 * The three token formats: {@code vtr_<secret>}, {@code vts_<slug>_<secret>}, {@code vta_<slug>_<secret>}, where
 * {@code <secret>} is 34 random base62 characters (202 bits from {@link SecureRandom}) and a 6-character
 * base62 CRC32 of everything before it. Checking the checksum rejects a mistyped or forged-format token
 * without touching the database.
 *
 * <p>Only the JDK is used here, so the class doubles as the root-token generator:
 * {@code java src/main/java/dev/sluice/auth/TokenFormat.java} prints a fresh {@code vtr_} token.
 */
public final class TokenFormat {

    /** The three tiers and their prefixes. */
    public enum Tier {
        ROOT("vtr_"), SERVICE("vts_"), API("vta_");

        final String prefix;

        Tier(String prefix) {
            this.prefix = prefix;
        }
    }

    /** A token whose shape and checksum are right; {@code slug} is null for root. */
    public record Parsed(Tier tier, String slug) {
    }

    /**
     * An account's slug, as tokens carry it ({@link Slugs} validates against it). Written here because this file
     * also runs on its own ({@code java TokenFormat.java}), without the rest of the service.
     */
    static final String SLUG = "[a-z0-9][a-z0-9-]{1,62}";
    static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    static final int RANDOM_CHARS = 34;
    static final int CHECKSUM_CHARS = 6;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern SHAPE = Pattern.compile(
            "(vtr_|vts_|vta_)(?:(" + SLUG + ")_)?([0-9A-Za-z]{" + RANDOM_CHARS + "})([0-9A-Za-z]{"
                    + CHECKSUM_CHARS + "})");

    private TokenFormat() {
    }

    public static String generate(Tier tier, String slug) {
        StringBuilder token = new StringBuilder(tier.prefix);
        if (tier != Tier.ROOT) {
            token.append(slug).append('_');
        }
        for (int i = 0; i < RANDOM_CHARS; i++) {
            token.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return token.append(checksum(token)).toString();
    }

    /** Returns the tier and slug of a well-formed token with a valid checksum, or null. */
    public static Parsed parse(String token) {
        if (token == null || token.length() > 120) {
            return null;
        }
        Matcher m = SHAPE.matcher(token);
        if (!m.matches()) {
            return null;
        }
        Tier tier = switch (m.group(1)) {
            case "vtr_" -> Tier.ROOT;
            case "vts_" -> Tier.SERVICE;
            default -> Tier.API;
        };
        String slug = m.group(2);
        if ((tier == Tier.ROOT) != (slug == null)) {
            return null;
        }
        String body = token.substring(0, token.length() - CHECKSUM_CHARS);
        byte[] expected = checksum(body).getBytes(StandardCharsets.US_ASCII);
        byte[] actual = m.group(4).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, actual) ? new Parsed(tier, slug) : null;
    }

    /** CRC32 (IEEE) of the UTF-8 bytes, in base62, left-padded with '0' to six characters. */
    static String checksum(CharSequence body) {
        CRC32 crc = new CRC32();
        crc.update(body.toString().getBytes(StandardCharsets.UTF_8));
        long value = crc.getValue();
        char[] digits = new char[CHECKSUM_CHARS];
        for (int i = CHECKSUM_CHARS - 1; i >= 0; i--) {
            digits[i] = ALPHABET.charAt((int) (value % ALPHABET.length()));
            value /= ALPHABET.length();
        }
        return new String(digits);
    }

    /** Hex SHA-256: the only form of a token that is ever stored. */
    public static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    public static String last4(String token) {
        return token.substring(token.length() - 4);
    }

    /** Prints a new root token: {@code java src/main/java/dev/sluice/auth/TokenFormat.java}. */
    public static void main(String[] args) {
        System.out.println(generate(Tier.ROOT, null));
    }
}
