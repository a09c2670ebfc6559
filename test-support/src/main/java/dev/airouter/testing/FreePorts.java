package dev.airouter.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

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
        return occupy(0);
    }

    /**
     * Binds the given loopback port and keeps it bound, e.g. to steal a port a process is about to
     * take back.
     *
     * @param port the port, or 0 for any free one
     * @return the bound socket; close it to free the port
     * @throws UncheckedIOException if the port cannot be bound
     */
    public static ServerSocket occupy(int port) {
        try {
            ServerSocket socket = new ServerSocket();
            try {
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            } catch (IOException e) {
                socket.close();
                throw e;
            }
            return socket;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind loopback port " + port, e);
        }
    }

    /**
     * Whether something accepts TCP connections on 127.0.0.1:{@code port} right now.
     *
     * @param port the port
     * @return true if a connection was accepted within one second
     */
    public static boolean isAccepting(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
