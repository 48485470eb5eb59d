package dev.sluice;

import java.nio.file.Path;

import dev.sluice.embedded.EmbeddedPostgres;
import dev.sluice.embedded.EmbeddedSecretsKey;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * The entry point of {@code java -jar}. With no datasource URL configured it first starts the embedded PostgreSQL
 * (in {@code SLUICE_DATA_DIR}, default {@code ./sluice-data}) and, unless {@code SECRETS_KEY} is set, uses the key
 * kept beside it; with a URL it never starts a database and {@code SECRETS_KEY} is required. A root token is still
 * required (the README's run command makes one up when none is exported).
 */
@QuarkusMain
public final class SluiceMain {

    private SluiceMain() {
    }

    public static void main(String... args) {
        if (!configured("QUARKUS_DATASOURCE_JDBC_URL", "quarkus.datasource.jdbc.url")) {
            Path dataRoot;
            try {
                dataRoot = EmbeddedPostgres.dataRoot(System.getenv("SLUICE_DATA_DIR"));
            } catch (IllegalStateException e) {
                System.err.println("Sluice: " + e.getMessage());
                System.exit(1);
                return;
            }
            EmbeddedPostgres postgres = EmbeddedPostgres.start(dataRoot);
            System.setProperty("quarkus.datasource.jdbc.url", postgres.jdbcUrl());
            System.setProperty("quarkus.datasource.username", postgres.username());
            System.setProperty("quarkus.datasource.password", postgres.password());
            if (!configured("SECRETS_KEY", "secrets-key")) {
                System.setProperty("secrets-key", EmbeddedSecretsKey.loadOrCreate(dataRoot));
            }
            System.out.println("Sluice: no QUARKUS_DATASOURCE_JDBC_URL, so using the embedded PostgreSQL in "
                    + dataRoot.toAbsolutePath().normalize() + " (" + postgres.jdbcUrl() + ").");
        }
        Quarkus.run(args);
    }

    private static boolean configured(String variable, String property) {
        String fromEnv = System.getenv(variable);
        String fromProperty = System.getProperty(property);
        return (fromEnv != null && !fromEnv.isBlank()) || (fromProperty != null && !fromProperty.isBlank());
    }
}
