package dev.sluice.auth;

import java.util.Optional;

import io.smallrye.config.ConfigMapping;

/**
 * Who may call without a stored token. Like every Sluice setting, each is a top-level key that the environment
 * sets by its upper-case name ({@code root-token} from {@code ROOT_TOKEN}).
 */
@ConfigMapping(prefix = "")
public interface AuthConfig {

    /** The operators' {@code vtr_} token; {@link RootTokens} says what to do when it is missing or malformed. */
    Optional<String> rootToken();

    /** The previous root token, still accepted during a rotation. */
    Optional<String> rootTokenPrevious();

    /** The legacy bearer that acts as an api token of the internal account. */
    Optional<String> tunnelSecret();
}
