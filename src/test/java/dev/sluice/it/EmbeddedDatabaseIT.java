package dev.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The README's run command on a machine with nothing but a JDK: without QUARKUS_DATASOURCE_JDBC_URL the packaged
 * jar starts its embedded PostgreSQL, serves requests, keeps its data across a restart and stops the database when
 * it stops.
 */
class EmbeddedDatabaseIT {

    static final String ROOT = TwoReplicasIT.ROOT;

    @Test
    void theJarRunsOnItsOwnDatabaseAndKeepsItsData() throws Exception {
        Path dataRoot = Files.createTempDirectory("sluice-embedded-it");
        // Under root the server runs as nobody, which must be able to reach the folder.
        Files.setPosixFilePermissions(dataRoot, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path data = dataRoot.resolve("sluice-data");

        Started first = start(data, 1);
        try {
            assertEquals(201, TwoReplicasIT.call(first.url(), "POST", "/admin/accounts", first.token(),
                    "{\"slug\":\"kept\"}").statusCode());
        } finally {
            first.stop();
        }
        assertFalse(Files.exists(data.resolve("data/postmaster.pid")), "the database stops with the service");

        Started second = start(data, 2);
        try {
            HttpResponse<String> kept = TwoReplicasIT.call(second.url(), "GET", "/admin/accounts/kept",
                    second.token(), null);
            assertEquals(200, kept.statusCode(), kept.body());
            assertTrue(Files.readString(second.log()).contains("PostgreSQL 16"));
        } finally {
            second.stop();
        }
    }

    @Test
    void withoutARootTokenTheJarRefusesToStart() throws Exception {
        Path log = Path.of("target", "no-root-token.log");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", "target/quarkus-app/quarkus-run.jar").redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().remove("ROOT_TOKEN");
        builder.environment().put("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://127.0.0.1:5432/test");
        builder.environment().put("QUARKUS_HTTP_PORT", "0");
        Process process = builder.start();
        assertTrue(process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the service did not stop");
        assertTrue(process.exitValue() != 0);
        assertTrue(Files.readString(log).contains("ROOT_TOKEN is not set"));
    }

    record Started(Process process, String url, String token, Path log) {
        void stop() throws InterruptedException {
            process.destroy();
            process.waitFor();
        }
    }

    private static Started start(Path data, int run) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path log = Path.of("target", "embedded-" + run + ".log");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", "target/quarkus-app/quarkus-run.jar").redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.remove("QUARKUS_DATASOURCE_JDBC_URL");
        env.put("ROOT_TOKEN", ROOT);
        env.put("SLUICE_DATA_DIR", data.toString());
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        Process process = builder.start();
        String url = "http://127.0.0.1:" + port;
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (TwoReplicasIT.call(url, "GET", "/q/health/ready", null, null).statusCode() == 200) {
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
