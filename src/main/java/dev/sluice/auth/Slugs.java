package dev.sluice.auth;

import java.util.regex.Pattern;

import dev.sluice.web.SluiceException;

/**
 * The one rule for an account's slug ({@code ^[a-z0-9][a-z0-9-]{1,62}$}, no {@code _}), which tokens carry
 * between underscores, so its pattern is the token format's. A new slug is at most 54 characters, so that
 * {@code <slug>-<8 random>} is a DNS label; longer ones created before that rule keep working.
 */
public final class Slugs {

    public static final String PATTERN = "^" + TokenFormat.SLUG + "$";
    public static final String NEW_PATTERN = "^[a-z0-9][a-z0-9-]{1,53}$";
    private static final Pattern SLUG = Pattern.compile(PATTERN);

    private Slugs() {
    }

    /** The slug, or 400 {@code VALIDATION_FAILED} naming {@code field}. */
    public static String require(String slug, String field) {
        if (slug == null || !SLUG.matcher(slug).matches()) {
            throw SluiceException.validation(field, "A slug is 2-63 characters of a-z, 0-9 and '-', "
                    + "starting with a letter or digit.");
        }
        return slug;
    }
}
