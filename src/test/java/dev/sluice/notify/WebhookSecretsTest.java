package dev.sluice.notify;

import static dev.sluice.Api.as;
import static dev.sluice.Api.serviceToken;
import static dev.sluice.Api.uniqueSlug;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sluice.secret.SecretsKey;
import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;

/** Endpoint secrets are stored sealed with SECRETS_KEY; rows from before V7 are sealed at start-up. */
@QuarkusTest
class WebhookSecretsTest {

    static final String KEY = SecretsKey.generate();
    static final String NEXT_KEY = SecretsKey.generate();

    @Inject
    AgroalDataSource db;
    @Inject
    WebhookSecrets secrets;

    @Test
    void aSecretStoredInClearIsSealedAtStartUpAndStillSigns() throws Exception {
        String slug = uniqueSlug("legacy");
        String service = serviceToken(slug);
        UUID id = UUID.fromString(as(service).body(Map.of("url", "https://9.9.9.9/hook", "events",
                List.of("plan.downgraded"))).post("/admin/accounts/" + slug + "/webhooks").then().statusCode(201)
                .extract().path("id"));
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "update webhook_endpoint set secret = 'whsec_from_before_v7', secret_ciphertext = null "
                        + "where endpoint_id = ?")) {
            s.setObject(1, id);
            assertEquals(1, s.executeUpdate());
        }
        assertTrue(secrets.sealStoredSecrets() >= 1);
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "select secret, secret_ciphertext from webhook_endpoint where endpoint_id = ?")) {
            s.setObject(1, id);
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next());
                assertNull(r.getString(1), "the clear secret is gone");
                assertTrue(r.getString(2).startsWith("v1:"));
                assertEquals("whsec_from_before_v7", secrets.open(id, r.getString(2), null));
            }
        }
    }

    @Test
    void aRotatedKeyStillOpensWhatThePreviousOneSealedButOnlyForItsOwnRow() {
        SecretsKey before = new SecretsKey(Optional.of(KEY), Optional.empty());
        SecretsKey rotated = new SecretsKey(Optional.of(NEXT_KEY), Optional.of(KEY));
        String sealed = before.seal("whsec_x", "webhook_endpoint:a");
        assertEquals("whsec_x", rotated.open(sealed, "webhook_endpoint:a"));
        assertTrue(sealed.startsWith(before.currentPrefix()) && !sealed.startsWith(rotated.currentPrefix()),
                "sealed under the previous key, so start-up re-seals it");
        assertThrows(IllegalStateException.class, () -> rotated.open(sealed, "webhook_endpoint:b"));
        assertThrows(IllegalStateException.class,
                () -> new SecretsKey(Optional.of(NEXT_KEY), Optional.empty()).open(sealed, "webhook_endpoint:a"));
    }

    @Test
    void startUpRefusesAMissingOrMalformedKey() {
        IllegalStateException missing = assertThrows(IllegalStateException.class,
                () -> new SecretsKey(Optional.empty(), Optional.empty()));
        assertTrue(missing.getMessage().startsWith("SECRETS_KEY is not set."), missing.getMessage());
        IllegalStateException shortKey = assertThrows(IllegalStateException.class,
                () -> new SecretsKey(Optional.of("c2hvcnQ="), Optional.empty()));
        assertTrue(shortKey.getMessage().startsWith("SECRETS_KEY is not 32 bytes of base64"), shortKey.getMessage());
        IllegalStateException previous = assertThrows(IllegalStateException.class,
                () -> new SecretsKey(Optional.of(KEY), Optional.of("not base64!")));
        assertTrue(previous.getMessage().startsWith("SECRETS_KEY_PREVIOUS is not 32 bytes"), previous.getMessage());
    }
}
