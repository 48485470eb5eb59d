package dev.sluice.grant;

import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** How tunnel grants are signed. */
@ConfigMapping(prefix = "")
public interface GrantConfig {

    /** PEM EC P-256 private key(s); the first signs, all are published. Without one, a key is generated per process. */
    Optional<String> jwtSigningKey();

    /** The {@code iss} of tunnel grants. */
    @WithDefault("sluice")
    String grantIssuer();
}
