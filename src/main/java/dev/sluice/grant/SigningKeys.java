package dev.sluice.grant;

import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.jcajce.provider.asymmetric.util.EC5Util;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.jboss.logging.Logger;
import org.jose4j.jwk.EllipticCurveJsonWebKey;
import org.jose4j.jwk.JsonWebKey;

/**
 * The ES256 keys that sign tunnel grants. {@code JWT_SIGNING_KEY} holds one or more PEM private keys (PKCS#8
 * {@code BEGIN PRIVATE KEY} or SEC1 {@code BEGIN EC PRIVATE KEY}, both read by BouncyCastle): the first signs,
 * every one is published in the JWKS under its RFC 7638 thumbprint as {@code kid}, so a rotation publishes the
 * new key next to the old one until the old grants have expired.
 */
@Singleton
public class SigningKeys {

    private static final Logger LOG = Logger.getLogger(SigningKeys.class);

    /** A key pair and its published id. */
    public record SigningKey(String kid, ECPrivateKey privateKey, ECPublicKey publicKey) {
    }

    private final List<SigningKey> keys;

    @Inject
    public SigningKeys(GrantConfig config) {
        this(config.jwtSigningKey());
    }

    SigningKeys(Optional<String> pem) {
        this.keys = pem.filter(s -> !s.isBlank()).map(SigningKeys::parse).orElseGet(SigningKeys::generated);
    }

    public SigningKey current() {
        return keys.get(0);
    }

    /** The public half of every key, as JWKS entries. */
    public List<Map<String, Object>> jwks() {
        return keys.stream().map(k -> publicJwk(k).toParams(JsonWebKey.OutputControlLevel.PUBLIC_ONLY)).toList();
    }

    private static EllipticCurveJsonWebKey publicJwk(SigningKey key) {
        EllipticCurveJsonWebKey jwk = new EllipticCurveJsonWebKey(key.publicKey());
        jwk.setKeyId(key.kid());
        jwk.setUse("sig");
        jwk.setAlgorithm("ES256");
        return jwk;
    }

    private static List<SigningKey> parse(String pem) {
        List<SigningKey> parsed = new ArrayList<>();
        // BouncyCastle's own provider reads SEC1 keys whose curve sits in the key rather than the algorithm id,
        // which the JDK's EC key factory refuses.
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter().setProvider(new BouncyCastleProvider());
        try (PEMParser parser = new PEMParser(new StringReader(pem.replace("\\n", "\n")))) {
            for (Object item = parser.readObject(); item != null; item = parser.readObject()) {
                ECPrivateKey privateKey;
                if (item instanceof PEMKeyPair pair) {
                    // SEC1 keys may omit the public point, so only the private half is read; publicOf derives it.
                    privateKey = (ECPrivateKey) converter.getPrivateKey(pair.getPrivateKeyInfo());
                } else if (item instanceof PrivateKeyInfo info) {
                    privateKey = (ECPrivateKey) converter.getPrivateKey(info);
                } else {
                    throw new IllegalStateException("JWT_SIGNING_KEY holds a PEM block that is not a private key");
                }
                parsed.add(of(privateKey, publicOf(privateKey)));
            }
        } catch (IOException | ClassCastException | GeneralSecurityException e) {
            throw new IllegalStateException("JWT_SIGNING_KEY is not a PEM EC private key (PKCS#8 or SEC1)", e);
        }
        if (parsed.isEmpty()) {
            throw new IllegalStateException("JWT_SIGNING_KEY holds no PEM private key");
        }
        return List.copyOf(parsed);
    }

    private static List<SigningKey> generated() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = generator.generateKeyPair();
            LOG.warn("JWT_SIGNING_KEY is not set: grants are signed with a key generated for this process only. "
                    + "Edges must refetch the JWKS after every restart, and replicas do not share it; set "
                    + "JWT_SIGNING_KEY in production.");
            return List.of(of((ECPrivateKey) pair.getPrivate(), (ECPublicKey) pair.getPublic()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot generate a P-256 key", e);
        }
    }

    private static SigningKey of(ECPrivateKey privateKey, ECPublicKey publicKey) {
        if (privateKey.getParams().getCurve().getField().getFieldSize() != 256) {
            throw new IllegalStateException("JWT_SIGNING_KEY must be a P-256 key (ES256)");
        }
        String kid = new EllipticCurveJsonWebKey(publicKey).calculateBase64urlEncodedThumbprint("SHA-256");
        return new SigningKey(kid, privateKey, publicKey);
    }

    /** PKCS#8 keys need not carry their public point; it is d·G on the key's curve. */
    private static ECPublicKey publicOf(ECPrivateKey privateKey) throws GeneralSecurityException {
        org.bouncycastle.math.ec.ECPoint q = EC5Util.convertSpec(privateKey.getParams()).getG()
                .multiply(privateKey.getS()).normalize();
        BigInteger x = q.getAffineXCoord().toBigInteger();
        BigInteger y = q.getAffineYCoord().toBigInteger();
        return (ECPublicKey) KeyFactory.getInstance("EC")
                .generatePublic(new ECPublicKeySpec(new ECPoint(x, y), privateKey.getParams()));
    }
}
