package dev.sluice.secret;

import java.util.Optional;

import io.smallrye.config.ConfigMapping;

/** The keys that seal stored secrets; {@link SecretsKey} says what to do when the current one is missing. */
@ConfigMapping(prefix = "")
public interface SecretsConfig {

    /** 32 random bytes, base64: seals every new secret. */
    Optional<String> secretsKey();

    /** The previous key, still opening secrets sealed with it, during a rotation. */
    Optional<String> secretsKeyPrevious();
}
