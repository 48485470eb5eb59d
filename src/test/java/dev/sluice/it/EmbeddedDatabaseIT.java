package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

/**
 * The README's run command on a machine with nothing but a JDK: without QUARKUS_DATASOURCE_JDBC_URL the packaged
 * jar starts its embedded PostgreSQL, serves requests, keeps its data (and the key its webhook secrets are sealed
 * with) across a restart and stops the database when it stops; under root it copes with a working folder the
 * database user cannot enter. No other local user gets into that database, even in a data folder an earlier version
 * initialised with {@code trust}.
 */
class EmbeddedDatabaseIT {

    static final String ROOT = PackagedJar.ROOT;
    static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath();
    /** What the refusal tests point at: they stop before serving, but Flyway has migrated it by then. */
    static final String JDBC_URL = System.getProperty("it.jdbc.url", "jdbc:postgresql://127.0.0.1:5432/test");
    static final boolean ROOT_USER = "root".equals(System.getProperty("user.name"));
    /** Who tries to get in: under root a third user, neither root nor the database's {@code nobody}. */
    static final List<String> INTRUDER = ROOT_USER ? List.of("runuser", "-u", "daemon", "--") : List.of();
    /** How the database's own user runs a command: under root the service runs PostgreSQL as {@code nobody}. */
    static final List<String> DATABASE_USER = ROOT_USER ? List.of("runuser", "-u", "nobody", "--") : List.of();
    /** What {@code initdb -A trust} wrote, as earlier versions of the embedded default did. */
    static final String TRUST_HBA = "local all all trust\nhost all all 127.0.0.1/32 trust\n"
            + "host all all ::1/128 trust\n";

    @Test
    void theJarRunsOnItsOwnDatabaseAndKeepsItsDataAndItsSecretsKey() throws Exception {
        Path dataRoot = Files.createTempDirectory("sluice-embedded-it");
        // Under root the server runs as nobody, which must be able to reach the folder.
        Files.setPosixFilePermissions(dataRoot, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path data = dataRoot.resolve("sluice-data");

        String secret;
        try (Hook hook = new Hook()) {
            Started first = start(dataRoot, data, "embedded-1");
            try {
                assertEquals(201, TwoReplicasIT.call(first.url(), "POST", "/admin/accounts", first.token(),
                        "{\"slug\":\"kept\"}").statusCode());
                String service = TwoReplicasIT.json(TwoReplicasIT.call(first.url(), "POST", "/admin/accounts",
                        first.token(), "{\"slug\":\"hooked\",\"plan\":\"pro\"}")).get("serviceToken").asText();
                String webhook = "{\"url\":\"" + hook.url() + "\",\"events\":[\"tunnel.closed\"]}";
                secret = TwoReplicasIT.json(TwoReplicasIT.call(first.url(), "POST",
                        "/admin/accounts/hooked/webhooks", service, webhook)).get("secret").asText();
            } finally {
                first.stop();
            }
            assertFalse(Files.exists(data.resolve("data/postmaster.pid")), "the database stops with the service");
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(data.resolve("secrets.key"))), "the generated key is private");

            Started second = start(dataRoot, data, "embedded-2");
            try {
                HttpResponse<String> kept = TwoReplicasIT.call(second.url(), "GET", "/admin/accounts/kept",
                        second.token(), null);
                assertEquals(200, kept.statusCode(), kept.body());
                assertTrue(Files.readString(second.log()).contains("PostgreSQL 16"));
                // The endpoint secret sealed by the first run still opens: a delivery now is signed with it.
                String api = TwoReplicasIT.json(TwoReplicasIT.call(second.url(), "POST",
                        "/admin/accounts/hooked/tokens", ROOT, "{}")).get("token").asText();
                String tunnel = TwoReplicasIT.json(TwoReplicasIT.call(second.url(), "POST", "/v1/tunnels", api, "{}"))
                        .get("id").asText();
                assertEquals(200, TwoReplicasIT.call(second.url(), "POST", "/v1/tunnels/" + tunnel + "/close", api,
                        "{}").statusCode());
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (hook.received.isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                }
                assertEquals(1, hook.received.size(), "the webhook is delivered after the restart");
                String[] signed = hook.received.get(0);
                long t = Long.parseLong(signed[0].substring(2, signed[0].indexOf(',')));
                assertEquals("t=" + t + ",v1=" + hmac(secret, t + "." + signed[1]), signed[0]);
            } finally {
                second.stop();
            }
        }
    }

    @Test
    void noOtherLocalUserGetsIntoTheDatabaseNotEvenInAFolderThatTrustedEveryone() throws Exception {
        Path dataRoot = Files.createTempDirectory("sluice-embedded-locked");
        Files.setPosixFilePermissions(dataRoot, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path data = dataRoot.resolve("sluice-data");
        Path passwordFile = data.resolve("postgres.password");
        try {
            Started first = start(dataRoot, data, "embedded-locked-1");
            try {
                assertShutOut(postgresPort(first.log()), data);
                assertEquals(201, TwoReplicasIT.call(first.url(), "POST", "/admin/accounts", first.token(),
                        "{\"slug\":\"locked\"}").statusCode());
            } finally {
                first.stop();
            }
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile)));
            if (ROOT_USER) {
                assertTrue(asIntruder(List.of("cat", passwordFile.toString())).exit() != 0,
                        "another user cannot read the password");
            }

            // The folder as an earlier version left it: trust in pg_hba.conf, no password file, none on the role.
            Files.writeString(data.resolve("data/pg_hba.conf"), TRUST_HBA);
            Files.delete(passwordFile);
            int oldPort = PackagedJar.freePort();
            String pgCtl = binaries(data).resolve("bin/pg_ctl").toString();
            assertEquals(0, exec(DATABASE_USER, List.of(pgCtl, "-D", data.resolve("data").toString(), "-l",
                    data.resolve("old.log").toString(), "-w", "-o", "-p " + oldPort
                            + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=''", "start")).exit());
            try {
                Run intruder = psql(oldPort, "alter role postgres password null");
                assertEquals(0, intruder.exit(), "the probe gets into a trusting database: " + intruder.output());
            } finally {
                exec(DATABASE_USER, List.of(pgCtl, "-D", data.resolve("data").toString(), "-m", "fast", "-w",
                        "stop"));
            }

            Started second = start(dataRoot, data, "embedded-locked-2");
            try {
                assertShutOut(postgresPort(second.log()), data);
                assertEquals(200, TwoReplicasIT.call(second.url(), "GET", "/admin/accounts/locked", second.token(),
                        null).statusCode());
            } finally {
                second.stop();
            }
            assertFalse(Files.readString(data.resolve("data/pg_hba.conf")).contains("trust"));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile)));
        } finally {
            deleteTree(dataRoot);
        }
    }

    @Test
    void underRootInAFolderNobodyCannotEnterTheDatabaseMovesToVarLib() throws Exception {
        assumeTrue(ROOT_USER, "only root runs the database as nobody");
        Path closed = Files.createTempDirectory("sluice-closed");
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
        Path varLib = Path.of("/var/lib/sluice");
        // A machine's own /var/lib/sluice is left as it was; one this test creates goes with it.
        boolean existed = Files.exists(varLib);
        Started started = start(closed, null, "embedded-root");
        try {
            assertTrue(Files.readString(started.log()).contains("keeps its data in /var/lib/sluice"));
            String slug = "root-" + UUID.randomUUID().toString().substring(0, 8);
            assertEquals(201, TwoReplicasIT.call(started.url(), "POST", "/admin/accounts", started.token(),
                    "{\"slug\":\"" + slug + "\"}").statusCode());
        } finally {
            started.stop();
            if (!existed) {
                deleteTree(varLib);
            }
        }
    }

    @Test
    void underRootADataFolderNobodyCannotEnterIsRefusedInOneLine() throws Exception {
        assumeTrue(ROOT_USER, "only root runs the database as nobody");
        Path closed = Files.createTempDirectory("sluice-closed");
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
        String log = refused("embedded-refused", Map.of("ROOT_TOKEN", ROOT, "SLUICE_DATA_DIR",
                closed.resolve("sluice-data").toString()), "QUARKUS_DATASOURCE_JDBC_URL");
        assertEquals(1, log.lines().count(), log);
        assertTrue(log.startsWith("Sluice: under root the embedded PostgreSQL runs as 'nobody', which cannot enter "
                + closed + "; set SLUICE_DATA_DIR"), log);
    }

    @Test
    void withoutARootTokenTheJarRefusesToStart() throws Exception {
        String log = refused("no-root-token", Map.of("QUARKUS_DATASOURCE_JDBC_URL", JDBC_URL,
                "SECRETS_KEY", PackagedJar.SECRETS_KEY), "ROOT_TOKEN");
        assertTrue(log.contains("ROOT_TOKEN is not set"));
    }

    @Test
    void withADatabaseButNoSecretsKeyTheJarRefusesToStart() throws Exception {
        String log = refused("no-secrets-key", Map.of("QUARKUS_DATASOURCE_JDBC_URL", JDBC_URL, "ROOT_TOKEN", ROOT),
                "SECRETS_KEY");
        assertTrue(log.contains("SECRETS_KEY is not set. It encrypts webhook endpoint secrets"), log);
    }

    /**
     * Another local user (the current one when not root), knowing no password, is turned away by the database's
     * authentication on 127.0.0.1, and finds no Unix socket to try.
     */
    private static void assertShutOut(int port, Path data) throws Exception {
        Run tcp = psql(port, "select 1");
        assertTrue(tcp.exit() != 0, "another local user got in: " + tcp.output());
        assertTrue(tcp.output().contains("no password supplied"), tcp.output());
        for (Path folder : List.of(Path.of("/tmp"), Path.of("/var/run/postgresql"), data.resolve("data"))) {
            assertFalse(Files.exists(folder.resolve(".s.PGSQL." + port)), "a Unix socket in " + folder);
        }
    }

    /** psql as the intruder, with no password from the environment or a password file. */
    private static Run psql(int port, String sql) throws Exception {
        return asIntruder(List.of("psql", "-X", "-w", "-h", "127.0.0.1", "-p", Integer.toString(port), "-U",
                "postgres", "-d", "postgres", "-c", sql));
    }

    private static Run asIntruder(List<String> command) throws Exception {
        return exec(INTRUDER, command);
    }

    record Run(int exit, String output) {
    }

    private static Run exec(List<String> as, List<String> command) throws Exception {
        List<String> full = new ArrayList<>(as);
        full.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(full).directory(new File("/")).redirectErrorStream(true);
        builder.environment().remove("PGPASSWORD");
        builder.environment().put("PGPASSFILE", "/dev/null");
        builder.environment().put("PGCONNECT_TIMEOUT", "10");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", full) + " did not finish");
        return new Run(process.exitValue(), output);
    }

    /** The embedded PostgreSQL's port, from the service's start-up line. */
    private static int postgresPort(Path log) throws IOException {
        Matcher port = Pattern.compile("jdbc:postgresql://127\\.0\\.0\\.1:(\\d+)/").matcher(Files.readString(log));
        assertTrue(port.find(), "no embedded PostgreSQL URL in " + log);
        return Integer.parseInt(port.group(1));
    }

    private static Path binaries(Path data) throws IOException {
        try (Stream<Path> entries = Files.list(data)) {
            return entries.filter(p -> Files.isDirectory(p) && p.getFileName().toString().startsWith("postgres-"))
                    .findFirst().orElseThrow();
        }
    }

    private static void deleteTree(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @Test
    void aBadSettingStopsStartUpNamingIt() throws Exception {
        List<String[]> bad = List.of(
                new String[] { "SUBDOMAIN_COOLDOWN", "-PT1H", "SUBDOMAIN_COOLDOWN must not be negative" },
                new String[] { "RESERVED_SUBDOMAINS", "www,,admin",
                        "RESERVED_SUBDOMAINS must be a comma-separated list of DNS labels" },
                new String[] { "WEBHOOK_RESOLVE_TIMEOUT", "PT0S",
                        "WEBHOOK_RESOLVE_TIMEOUT must be a positive ISO-8601 duration" },
                new String[] { "WEBHOOK_TIMEOUT", "-PT1S", "WEBHOOK_TIMEOUT must be a positive ISO-8601 duration" },
                new String[] { "AUTH_FAILURE_LIMIT", "-1", "AUTH_FAILURE_LIMIT must be 0 (off) or more" },
                new String[] { "TUNNEL_RETENTION", "-P1D", "TUNNEL_RETENTION must not be negative" },
                new String[] { "LOG_FORMAT", "xml", "LOG_FORMAT must be text or json" });
        for (String[] setting : bad) {
            String log = refused("bad-" + setting[0].toLowerCase(), Map.of("QUARKUS_DATASOURCE_JDBC_URL", JDBC_URL,
                    "SECRETS_KEY", PackagedJar.SECRETS_KEY, "ROOT_TOKEN", ROOT, setting[0], setting[1]),
                    "SLUICE_DATA_DIR");
            assertTrue(log.contains(setting[2]), setting[0] + ": " + log);
        }
    }

    record Started(Process process, String url, String token, Path log) {
        void stop() throws InterruptedException {
            process.destroy();
            process.waitFor();
        }
    }

    /** A webhook receiver on loopback recording each delivery's signature and body. */
    static final class Hook implements AutoCloseable {
        final List<String[]> received = new CopyOnWriteArrayList<>();
        private final HttpServer server;

        Hook() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/hook", exchange -> {
                received.add(new String[] { exchange.getRequestHeaders().getFirst("Sluice-Signature"),
                        new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8) });
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private static String hmac(String secret, String message) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
    }

    private static ProcessBuilder jar(Path workingDir, String logName) {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                JAR.toString()).directory(workingDir.toFile()).redirectErrorStream(true)
                .redirectOutput(Path.of("target", logName + ".log").toAbsolutePath().toFile());
    }

    /** Runs the jar, which must stop by itself and fail; returns what it printed. */
    private static String refused(String logName, Map<String, String> env, String unset) throws Exception {
        ProcessBuilder builder = jar(Path.of("target").toAbsolutePath(), logName);
        builder.environment().remove(unset);
        builder.environment().putAll(env);
        builder.environment().put("QUARKUS_HTTP_PORT", "0");
        builder.environment().put("QUARKUS_MANAGEMENT_PORT", "0");
        Process process = builder.start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the service did not stop");
        assertTrue(process.exitValue() != 0);
        return Files.readString(Path.of("target", logName + ".log"));
    }

    /** Starts the jar in the folder on the embedded database, in {@code data} or (null) where it chooses. */
    private static Started start(Path workingDir, Path data, String logName) throws Exception {
        int port = PackagedJar.freePort();
        int managementPort = PackagedJar.freePort();
        Path log = Path.of("target", logName + ".log");
        ProcessBuilder builder = jar(workingDir, logName);
        Map<String, String> env = builder.environment();
        env.remove("QUARKUS_DATASOURCE_JDBC_URL");
        env.remove("SECRETS_KEY");
        env.remove("SLUICE_DATA_DIR");
        env.put("ROOT_TOKEN", ROOT);
        env.put("WEBHOOK_ALLOW_PRIVATE", "true");
        if (data != null) {
            env.put("SLUICE_DATA_DIR", data.toString());
        }
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort));
        Process process = builder.start();
        String url = "http://127.0.0.1:" + port;
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (TwoReplicasIT.call("http://127.0.0.1:" + managementPort, "GET", "/q/health/ready", null, null)
                        .statusCode() == 200) {
                    assertTrue(Files.readString(log).contains("using the embedded PostgreSQL"));
                    return new Started(process, url, ROOT, log);
                }
            } catch (IOException e) {
                // not listening yet
            }
            assertTrue(process.isAlive(), () -> "the service died; see " + new File(log.toString()).getAbsolutePath());
            Thread.sleep(250);
        }
        process.destroyForcibly();
        throw new AssertionError("not ready after 120 s; see " + log);
    }
}
