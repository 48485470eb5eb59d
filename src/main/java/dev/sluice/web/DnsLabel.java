package dev.sluice.web;

import java.util.regex.Pattern;

/** The one rule for names that become DNS labels (subdomains, worker names): 1-63 of a-z, 0-9, inner '-'. */
public final class DnsLabel {

    public static final String PATTERN = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";
    private static final Pattern LABEL = Pattern.compile(PATTERN);

    private DnsLabel() {
    }

    /** The name, or 400 {@code VALIDATION_FAILED} naming {@code field}. */
    public static String require(String name, String field) {
        if (name == null || !LABEL.matcher(name).matches()) {
            throw SluiceException.validation(field, "'" + field + "' must be a DNS label: 1-63 characters of a-z, "
                    + "0-9 and '-', not starting or ending with '-'.");
        }
        return name;
    }
}
