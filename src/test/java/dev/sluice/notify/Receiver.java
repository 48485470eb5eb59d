package dev.sluice.notify;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

/** A webhook receiver on loopback that records what it is sent; it can be told to fail, or to hold its answer. */
final class Receiver implements AutoCloseable {

    record Received(String signature, String body, String host) {
    }

    final List<Received> received = new CopyOnWriteArrayList<>();
    final CountDownLatch requested = new CountDownLatch(1);
    volatile int status = 200;
    /** While set, requests wait for it before they are answered. */
    volatile CountDownLatch gate;
    private final HttpServer server;

    Receiver() throws IOException {
        this(InetAddress.getLoopbackAddress(), 0);
    }

    Receiver(InetAddress address, int port) throws IOException {
        this(HttpServer.create(new InetSocketAddress(address, port), 0));
    }

    /** An https receiver on loopback with the given TLS set-up. */
    Receiver(HttpsConfigurator tls) throws IOException {
        this(https(tls));
    }

    private Receiver(HttpServer server) {
        this.server = server;
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/hook", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requested.countDown();
            CountDownLatch held = gate;
            if (held != null) {
                try {
                    held.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (status / 100 == 2) {
                received.add(new Received(exchange.getRequestHeaders().getFirst("Sluice-Signature"), body,
                        exchange.getRequestHeaders().getFirst("Host")));
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
    }

    private static HttpsServer https(HttpsConfigurator tls) throws IOException {
        HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        https.setHttpsConfigurator(tls);
        return https;
    }

    int port() {
        return server.getAddress().getPort();
    }

    String url() {
        return "http://127.0.0.1:" + port() + "/hook";
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
