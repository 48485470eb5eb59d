package dev.sluice.notify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A nameserver on loopback that takes every query and answers none, as one that went silent does. One per test JVM,
 * started on first use and kept until the JVM ends (the application under test is pointed at it at start-up).
 */
final class SilentNameserver {

    private static DatagramSocket socket;

    private SilentNameserver() {
    }

    static synchronized int port() {
        if (socket == null) {
            try {
                socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            DatagramSocket listening = socket;
            Thread thread = new Thread(() -> {
                DatagramPacket query = new DatagramPacket(new byte[512], 512);
                while (!listening.isClosed()) {
                    try {
                        listening.receive(query); // and never answered
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "silent-nameserver");
            thread.setDaemon(true);
            thread.start();
        }
        return socket.getLocalPort();
    }
}
