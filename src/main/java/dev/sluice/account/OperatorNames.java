package dev.sluice.account;

import java.util.Arrays;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import dev.sluice.web.DnsLabel;
import io.quarkus.runtime.StartupEvent;

/**
 * The names the operator keeps ({@code RESERVED_SUBDOMAINS}): no account's subdomain and no new account's slug, so
 * {@code www.<domain>} or {@code admin.<domain>} never reaches a tenant. Start-up refuses a list with an empty entry
 * or an entry that is not a DNS label.
 */
@ApplicationScoped
public class OperatorNames {

    private static final Pattern LABEL = Pattern.compile(DnsLabel.PATTERN);

    private final Set<String> names;

    @Inject
    public OperatorNames(AccountConfig config) {
        this.names = parse(config.operatorNames());
    }

    /** The names of a {@code RESERVED_SUBDOMAINS} value, or the start-up failure it causes. */
    public static Set<String> parse(String list) {
        String[] entries = list.split(",", -1);
        for (String entry : entries) {
            if (!LABEL.matcher(entry.trim()).matches()) {
                throw new IllegalStateException("RESERVED_SUBDOMAINS must be a comma-separated list of DNS labels "
                        + "(1-63 of a-z, 0-9 and inner '-'); '" + entry.trim() + "' is not one.");
            }
        }
        return Arrays.stream(entries).map(String::trim).collect(Collectors.toUnmodifiableSet());
    }

    void validateAtStartup(@Observes StartupEvent event) {
        // Constructing the bean is the check; observing start-up forces it before the first request.
    }

    public boolean contains(String name) {
        return names.contains(name);
    }
}
