package dev.sluice.secret;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;

/**
 * Encrypts secrets the service must read back (webhook endpoint secrets sign every delivery, so they cannot be
 * hashed) with AES-256-GCM under {@code SECRETS_KEY}; {@code SECRETS_KEY_PREVIOUS} still decrypts during a rotation.
 * A sealed value is {@code v1:<key id>:<base64 of 96-bit random nonce + ciphertext and tag>}; the key id (the first
 * 8 hex digits of the key's SHA-256) says which key opens it, and the caller's context (which row it belongs to)
 * is authenticated data, so a sealed value copied to another row does not open. Like {@code ROOT_TOKEN}, a missing
 * or malformed key stops start-up in every mode but dev mode, which makes one up for the run.
 */
@ApplicationScoped
public class SecretsKey {

    private static final Logger LOG = Logger.getLogger(SecretsKey.class);
    private static final String VERSION = "v1";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private record Key(String id, SecretKey key) {
    }

    /** The first key encrypts; every key decrypts. */
    private final List<Key> keys;

    @Inject
    public SecretsKey(SecretsConfig config) {
        this(config.secretsKey(), config.secretsKeyPrevious());
    }

    public SecretsKey(Optional<String> current, Optional<String> previous) {
        String primary = current.filter(s -> !s.isBlank()).orElseGet(SecretsKey::missing);
        this.keys = Stream.concat(Stream.of(key("SECRETS_KEY", primary)),
                previous.filter(s -> !s.isBlank()).map(p -> key("SECRETS_KEY_PREVIOUS", p)).stream()).toList();
    }

    void validateAtStartup(@Observes StartupEvent event) {
        // Constructing the bean is the check; observing start-up forces it before the first request.
    }

    /** A fresh base64 key of the right size, as {@code openssl rand -base64 32} prints one. */
    public static String generate() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return Base64.getEncoder().encodeToString(raw);
    }

    public String seal(String plaintext, String context) {
        Key current = keys.get(0);
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        byte[] sealed = crypt(Cipher.ENCRYPT_MODE, current, nonce, context,
                plaintext.getBytes(StandardCharsets.UTF_8));
        byte[] out = ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array();
        return VERSION + ":" + current.id() + ":" + Base64.getEncoder().encodeToString(out);
    }

    /** The plaintext; an {@link IllegalStateException} when no configured key opens it for this context. */
    public String open(String sealed, String context) {
        String[] parts = sealed.split(":", 3);
        if (parts.length != 3 || !VERSION.equals(parts[0])) {
            throw new IllegalStateException("not a sealed secret");
        }
        Key key = keys.stream().filter(k -> k.id().equals(parts[1])).findFirst().orElseThrow(
                () -> new IllegalStateException("sealed with key " + parts[1] + ", which neither SECRETS_KEY nor "
                        + "SECRETS_KEY_PREVIOUS is"));
        byte[] in;
        try {
            in = Base64.getDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            in = new byte[0];
        }
        if (in.length <= NONCE_BYTES) {
            throw new IllegalStateException("not a sealed secret");
        }
        byte[] nonce = Arrays.copyOf(in, NONCE_BYTES);
        byte[] ciphertext = Arrays.copyOfRange(in, NONCE_BYTES, in.length);
        return new String(crypt(Cipher.DECRYPT_MODE, key, nonce, context, ciphertext), StandardCharsets.UTF_8);
    }

    /** How every value sealed with the current key begins; others are re-sealed, so the previous key can go. */
    public String currentPrefix() {
        return VERSION + ":" + keys.get(0).id() + ":";
    }

    private static byte[] crypt(int mode, Key key, byte[] nonce, String context, byte[] input) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(mode, key.key(), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            return cipher.doFinal(input);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the sealed secret does not open with key " + key.id(), e);
        }
    }

    private static Key key(String variable, String base64) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(base64.trim());
        } catch (IllegalArgumentException e) {
            raw = new byte[0];
        }
        if (raw.length != 32) {
            throw new IllegalStateException(variable + " is not 32 bytes of base64. Generate one with "
                    + "'openssl rand -base64 32'.");
        }
        try {
            String id = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(raw)).substring(0, 8);
            return new Key(id, new SecretKeySpec(raw, "AES"));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static String missing() {
        if (LaunchMode.current() != LaunchMode.DEVELOPMENT) {
            throw new IllegalStateException("SECRETS_KEY is not set. It encrypts webhook endpoint secrets; generate "
                    + "one with 'openssl rand -base64 32' and export SECRETS_KEY=<that value>.");
        }
        LOG.warn("SECRETS_KEY is not set; dev mode generated one for this run only, so webhook secrets stored now "
                + "will not open after a restart.");
        return generate();
    }
}
