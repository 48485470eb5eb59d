package dev.sluice.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The packaged jar ({@code target/quarkus-app/quarkus-run.jar}) started as a process of its own, as production runs
 * it: configured by environment variables alone, its output in a log file, on free ports.
 */
final class PackagedJar implements AutoCloseable {

    static final String ROOT = "vtr_TestRootToken0000000000000000000000rWvyY";
    static final String SECRETS_KEY = "c2x1aWNlLWl0LXNlY3JldHMta2V5LTMyLWJ5dGVzLi4=";

    final Process process;
    /** The API port's base, {@code http://127.0.0.1:<port>}. */
    final String baseUri;
    /** The management port's base, where health and metrics are. */
    final String managementUri;
    final Path log;

    private PackagedJar(Process process, String baseUri, String managementUri, Path log) {
        this.process = process;
        this.baseUri = baseUri;
        this.managementUri = managementUri;
        this.log = log;
    }

    /** Starts the jar with the root token, the secrets key, its two ports and {@code environment}; does not wait. */
    static PackagedJar start(Path log, Map<String, String> environment) throws IOException {
        int port = freePort();
        int managementPort = freePort();
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", "target/quarkus-app/quarkus-run.jar").redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("ROOT_TOKEN", ROOT);
        env.put("SECRETS_KEY", SECRETS_KEY);
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort));
        env.putAll(environment);
        return new PackagedJar(builder.start(), "http://127.0.0.1:" + port, "http://127.0.0.1:" + managementPort, log);
    }

    /** Waits until it answers ready, at most 90 s. */
    PackagedJar awaitReady() throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(managementUri + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return this;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError(managementUri + " did not become ready; see " + log);
    }

    @Override
    public void close() {
        process.destroy();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
