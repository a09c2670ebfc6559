package dev.airouter.lifecycle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Who holds a TCP port: a connect attempt (never a bind, which would disturb the holder), and on
 * Linux the pid behind a listening socket, read from {@code /proc}. For pre-flight checks such as
 * "is the port I am about to use already taken, and by what?", and for picking a free port.
 */
public final class PortHolder {
    private PortHolder() {}

    /**
     * @param host the host to connect to, e.g. {@code 127.0.0.1}
     * @param port the port, 1–65535
     * @param timeout how long the connect may take
     * @return true if something accepts connections there
     */
    public static boolean isAccepting(String host, int port, Duration timeout) {
        Objects.requireNonNull(host, "host");
        return Ports.isAccepting(host, port, Durations.positive("timeout", timeout));
    }

    /**
     * @param port a TCP port
     * @return the pid of the process listening on it, when it can be found (Linux, same user or root)
     */
    public static OptionalLong pid(int port) {
        return Ports.holderPid(port);
    }

    /**
     * @param port a TCP port
     * @return a phrase such as {@code held by pid 42 (python3 -m http.server)}, or one saying the
     *     holder could not be found
     */
    public static String describe(int port) {
        return Ports.describeHolder(port);
    }

    /**
     * Picks a port that is free on the loopback address right now: the kernel chooses one for a
     * socket bound to port 0, which is then closed. Another process may take it before the caller
     * binds it; a caller that then fails to bind should pick again rather than wait.
     *
     * @return a port in the kernel's ephemeral range
     * @throws UncheckedIOException if no socket can be bound on the loopback address
     */
    public static int freeLoopbackPort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind any port on the loopback address: " + e.getMessage(), e);
        }
    }
}
