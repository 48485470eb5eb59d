package dev.sluice.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sluice.auth.TokenFormat;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;

/**
 * The root token is configuration, never data: {@code ROOT_TOKEN} (and {@code ROOT_TOKEN_PREVIOUS} during a
 * rotation) are kept only as SHA-256 digests in memory and compared in constant time. Start-up refuses a
 * malformed one; without one, production refuses to start and dev mode makes one up and prints it once.
 */
@ApplicationScoped
public class RootTokens {

    private static final Logger LOG = Logger.getLogger(RootTokens.class);

    private final List<byte[]> digests;

    @Inject
    public RootTokens(AuthConfig config) {
        this(config.rootToken(), config.rootTokenPrevious());
    }

    RootTokens(Optional<String> current, Optional<String> previous) {
        String primary = current.filter(s -> !s.isBlank()).orElseGet(RootTokens::missing);
        requireWellFormed("ROOT_TOKEN", primary);
        previous.filter(s -> !s.isBlank()).ifPresent(p -> requireWellFormed("ROOT_TOKEN_PREVIOUS", p));
        this.digests = Stream.concat(Stream.of(primary), previous.filter(s -> !s.isBlank()).stream())
                .map(RootTokens::digest).toList();
    }

    void validateAtStartup(@Observes StartupEvent event) {
        // Constructing the bean is the check; observing start-up forces it before the first request.
    }

    public boolean matches(String token) {
        byte[] candidate = digest(token);
        boolean match = false;
        for (byte[] known : digests) {
            match |= MessageDigest.isEqual(known, candidate);
        }
        return match;
    }

    private static String missing() {
        if (LaunchMode.current() != LaunchMode.DEVELOPMENT) {
            throw new IllegalStateException("ROOT_TOKEN is not set. Generate one with "
                    + "'java src/main/java/dev/sluice/auth/TokenFormat.java' and export ROOT_TOKEN=<that value>.");
        }
        String generated = TokenFormat.generate(TokenFormat.Tier.ROOT, null);
        LOG.warnf("ROOT_TOKEN is not set; dev mode generated one for this run only: %s", generated);
        return generated;
    }

    private static void requireWellFormed(String variable, String token) {
        TokenFormat.Parsed parsed = TokenFormat.parse(token);
        if (parsed == null || parsed.tier() != TokenFormat.Tier.ROOT) {
            throw new IllegalStateException(variable + " is not a well-formed root token (vtr_ followed by 34 "
                    + "random base62 characters and a 6-character CRC32 checksum). Generate one with "
                    + "'java src/main/java/dev/sluice/auth/TokenFormat.java'.");
        }
    }

    private static byte[] digest(String token) {
        return TokenFormat.sha256(token).getBytes(StandardCharsets.US_ASCII);
    }
}
