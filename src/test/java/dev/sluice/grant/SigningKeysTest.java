package dev.sluice.grant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.StringWriter;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Optional;

import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x9.X962Parameters;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;
import org.junit.jupiter.api.Test;

class SigningKeysTest {

    @Test
    void readsPkcs8AndSec1KeysAndPublishesEveryOne() throws Exception {
        KeyPair first = newKey();
        KeyPair second = newKey();
        String pkcs8 = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(first.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        // SEC1 as "openssl ecparam -name prime256v1 -genkey -noout" writes it: curve named inside, no public point.
        StringWriter sec1 = new StringWriter();
        try (PemWriter writer = new PemWriter(sec1)) {
            writer.writeObject(new PemObject("EC PRIVATE KEY", new org.bouncycastle.asn1.sec.ECPrivateKey(256,
                    ((ECPrivateKey) second.getPrivate()).getS(), new X962Parameters(SECObjectIdentifiers.secp256r1))
                    .getEncoded()));
        }
        SigningKeys keys = new SigningKeys(Optional.of(pkcs8 + sec1));
        assertEquals(first.getPublic(), keys.current().publicKey(), "the public key is derived from a PKCS#8 key");
        assertEquals(2, keys.jwks().size());
        assertEquals(second.getPublic(), new SigningKeys(Optional.of(sec1.toString())).current().publicKey());
        assertEquals(keys.current().kid(), keys.jwks().get(0).get("kid"));
        assertNotEquals(keys.jwks().get(0).get("kid"), keys.jwks().get(1).get("kid"));
        assertEquals(keys.current().kid(), new SigningKeys(Optional.of(pkcs8)).current().kid(), "kid is stable");
        assertEquals("EC", keys.jwks().get(1).get("kty"));
        assertEquals("P-256", keys.jwks().get(1).get("crv"));
        assertEquals(null, keys.jwks().get(1).get("d"), "never the private part");
    }

    @Test
    void refusesWhatIsNotAnEcPrivateKey() {
        assertThrows(IllegalStateException.class, () -> new SigningKeys(Optional.of("not pem")));
        assertThrows(IllegalStateException.class, () -> new SigningKeys(
                Optional.of("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")));
    }

    @Test
    void generatesAKeyWhenNoneIsConfigured() {
        SigningKeys keys = new SigningKeys(Optional.empty());
        assertEquals(1, keys.jwks().size());
    }

    private static KeyPair newKey() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }
}
