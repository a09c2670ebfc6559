package dev.airouter.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny blocking RESP2 client over a plain socket, so test fixtures can talk to Redis without a
 * client library: health checks, {@code CLIENT KILL}, {@code PTTL}, {@code DEBUG SLEEP}.
 *
 * <p>Not thread-safe; one connection per instance.
 */
public final class RedisResp implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RedisResp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /**
     * Connects to 127.0.0.1:{@code port}.
     *
     * @param port the Redis port
     * @param timeout connect and read timeout
     * @return the connected client
     * @throws UncheckedIOException if the connection fails
     */
    public static RedisResp connect(int port, Duration timeout) {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            return new RedisResp(socket);
        } catch (IOException e) {
            try {
                socket.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException("cannot connect to Redis on 127.0.0.1:" + port, e);
        }
    }

    /**
     * Whether a Redis server on 127.0.0.1:{@code port} answers {@code PING} with {@code PONG} (or with
     * {@code NOAUTH}, which also proves it is up) within 500 ms.
     *
     * @param port the Redis port
     * @return true if it answered
     */
    public static boolean answersPing(int port) {
        try (RedisResp client = connect(port, Duration.ofMillis(500))) {
            return "PONG".equals(client.call("PING"));
        } catch (IllegalStateException e) {
            return e.getMessage().startsWith("NOAUTH");
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    /**
     * Sends one command and reads its reply.
     *
     * @param args the command and its arguments
     * @return a {@code String} (simple or bulk string), {@code Long} (integer), {@code List<Object>}
     *     (array) or {@code null} (nil)
     * @throws IllegalStateException with the server's message for an error reply
     * @throws UncheckedIOException if the connection fails
     */
    public Object call(String... args) {
        try {
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            request.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            for (String arg : args) {
                byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
                request.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
                request.writeBytes(bytes);
                request.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.write(request.toByteArray());
            out.flush();
            return read();
        } catch (IOException e) {
            throw new UncheckedIOException("Redis command " + args[0] + " failed", e);
        }
    }

    private Object read() throws IOException {
        int type = in.read();
        if (type == -1) {
            throw new EOFException("Redis closed the connection");
        }
        String line = line();
        switch (type) {
            case '+':
                return line;
            case '-':
                throw new IllegalStateException(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return null;
                }
                byte[] bytes = in.readNBytes(length + 2);
                return new String(bytes, 0, length, StandardCharsets.UTF_8);
            }
            case '*': {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    items.add(read());
                }
                return items;
            }
            default:
                throw new IOException("unexpected RESP type byte " + type);
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\r') {
            if (b == -1) {
                throw new EOFException("Redis closed the connection");
            }
            buffer.write(b);
        }
        in.read(); // '\n'
        return buffer.toString(StandardCharsets.UTF_8);
    }

    /** Closes the connection; idempotent. */
    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing a test connection cannot fail in a way that matters
        }
    }
}
