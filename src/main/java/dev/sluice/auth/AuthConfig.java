package dev.sluice.auth;

import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Who may call without a stored token, and how many guesses a client address gets. Like every Sluice setting, each
 * is a top-level key that the environment sets by its upper-case name ({@code root-token} from {@code ROOT_TOKEN}).
 */
@ConfigMapping(prefix = "")
public interface AuthConfig {

    /** The operators' {@code vtr_} token; {@link RootTokens} says what to do when it is missing or malformed. */
    Optional<String> rootToken();

    /** The previous root token, still accepted during a rotation. */
    Optional<String> rootTokenPrevious();

    /** The legacy bearer that acts as an api token of the internal account. */
    Optional<String> tunnelSecret();

    /**
     * Well-formed tokens not found from one client address within a minute before it is limited; 0 turns the limit
     * off ({@link AuthFailureLimit}).
     */
    @WithDefault("120")
    int authFailureLimit();
}
