package dev.sluice.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

import dev.sluice.secret.SecretsKey;

/**
 * The embedded default's {@code SECRETS_KEY}: made up on the first start and kept beside the database it protects
 * ({@code secrets.key}, readable by its owner only), so a restart still opens the webhook secrets earlier runs
 * sealed. A copy of the data folder is then a copy of the key too; production sets {@code SECRETS_KEY} and keeps it
 * apart from the database.
 */
public final class EmbeddedSecretsKey {

    static final String FILE = "secrets.key";

    private EmbeddedSecretsKey() {
    }

    public static String loadOrCreate(Path dataRoot) {
        Path file = dataRoot.resolve(FILE);
        try {
            return PrivateFile.readOrCreate(file, SecretsKey::generate);
        } catch (IOException e) {
            throw new UncheckedIOException("could not keep the embedded SECRETS_KEY in " + file, e);
        }
    }
}
