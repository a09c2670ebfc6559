package dev.airouter.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP server that runs a script per accepted connection, so tests can answer with exact
 * bytes (broken ones included) and see exactly the bytes a client sent.
 */
final class ScriptedServer implements AutoCloseable {
    /** What the server does with one connection. */
    @FunctionalInterface
    interface Script {
        void run(Socket socket) throws Exception;
    }

    private final ServerSocket server;
    private final Thread acceptor;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    private final AtomicInteger accepted = new AtomicInteger();

    ScriptedServer(Script script) {
        server = FreePorts.occupy();
        acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    accepted.incrementAndGet();
                    sockets.add(socket);
                    Thread connection = new Thread(() -> {
                        try (socket) {
                            script.run(socket);
                        } catch (Exception e) {
                            if (!server.isClosed()) {
                                failures.add(e);
                            }
                        }
                    }, "scripted-connection");
                    connection.setDaemon(true);
                    connection.start();
                } catch (IOException e) {
                    return; // closed
                }
            }
        }, "scripted-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** @return how many connections were accepted so far */
    int accepted() {
        return accepted.get();
    }

    /** @return exceptions thrown by scripts while the server was open */
    Queue<Throwable> failures() {
        return failures;
    }

    @Override
    public void close() throws Exception {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
        acceptor.join(5000);
    }

    /** Reads a request head up to its blank line; @return it as ISO-8859-1 text, or null at end of stream */
    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return head.size() == 0 ? null : head.toString(StandardCharsets.ISO_8859_1);
    }

    /** @return the value of {@code Content-Length} in {@code head}, 0 when absent */
    static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                return Integer.parseInt(line.substring(15).trim());
            }
        }
        return 0;
    }

    static void write(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
    }
}
