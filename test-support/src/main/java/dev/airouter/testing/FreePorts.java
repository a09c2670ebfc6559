package dev.airouter.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Free loopback TCP ports for tests that must hand a port to a child process. */
public final class FreePorts {
    private FreePorts() {}

    /**
     * Returns a TCP port on 127.0.0.1 that was free a moment ago. Another process may still take it
     * before the caller binds it; keep the gap short.
     *
     * @return a port number between 1024 and 65535
     */
    public static int next() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }

    /**
     * Binds a loopback port and keeps it bound (a foreign listener for "port in use" tests).
     *
     * @return the bound socket; close it to free the port
     */
    public static ServerSocket occupy() {
        try {
            ServerSocket socket = new ServerSocket();
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind a loopback port", e);
        }
    }
}
