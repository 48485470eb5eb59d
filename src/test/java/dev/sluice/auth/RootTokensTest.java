package dev.sluice.auth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;


class RootTokensTest {

    @Test
    void startupRefusesAMissingOrMalformedRootToken() {
        IllegalStateException missing = assertThrows(IllegalStateException.class,
                () -> new RootTokens(Optional.empty(), Optional.empty()));
        assertTrue(missing.getMessage().contains("ROOT_TOKEN is not set"));
        String good = TokenFormat.generate(TokenFormat.Tier.ROOT, null);
        String badChecksum = good.substring(0, good.length() - 1) + (good.endsWith("0") ? "1" : "0");
        for (String bad : new String[] { "secret", badChecksum, TokenFormat.generate(TokenFormat.Tier.SERVICE, "x1") }) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> new RootTokens(Optional.of(bad), Optional.empty()));
            assertTrue(e.getMessage().startsWith("ROOT_TOKEN is not a well-formed root token"), e.getMessage());
            assertFalse(e.getMessage().contains(bad), "the message must not echo the secret");
        }
        assertThrows(IllegalStateException.class, () -> new RootTokens(Optional.of(good), Optional.of("junk")));
    }

    @Test
    void thePreviousTokenIsAcceptedDuringRotation() {
        String current = TokenFormat.generate(TokenFormat.Tier.ROOT, null);
        String previous = TokenFormat.generate(TokenFormat.Tier.ROOT, null);
        RootTokens tokens = new RootTokens(Optional.of(current), Optional.of(previous));
        assertTrue(tokens.matches(current));
        assertTrue(tokens.matches(previous));
        assertFalse(tokens.matches(TokenFormat.generate(TokenFormat.Tier.ROOT, null)));
        RootTokens single = new RootTokens(Optional.of(current), Optional.empty());
        assertFalse(single.matches(previous));
    }
}
