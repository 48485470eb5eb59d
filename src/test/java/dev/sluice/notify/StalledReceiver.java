package dev.sluice.notify;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * A receiver that never finishes: it reads the request, optionally sends a 200's headers promising a large body,
 * then sends nothing more. {@link #closed} completes when the sender hangs up on it.
 */
final class StalledReceiver implements AutoCloseable {

    final CompletableFuture<Void> accepted = new CompletableFuture<>();
    final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final ServerSocket server;

    StalledReceiver(boolean sendHeaders) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread thread = new Thread(() -> {
            try (Socket socket = server.accept()) {
                accepted.complete(null);
                if (sendHeaders) {
                    socket.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n"
                            + "partial").getBytes(StandardCharsets.US_ASCII));
                    socket.getOutputStream().flush();
                }
                InputStream in = socket.getInputStream();
                while (in.read() != -1) {
                    // the request, then nothing until the sender hangs up
                }
            } catch (IOException e) {
                // a reset is a hang-up too
            }
            closed.complete(null);
        }, "stalled-receiver");
        thread.setDaemon(true);
        thread.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort() + "/hook";
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
