package dev.airouter.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One HTTP/1.1 connection kept alive across requests, over a plain socket with {@code TCP_NODELAY}.
 * Get one from {@link RawHttp#keepAlive(java.net.URI, Duration)}.
 *
 * <p>It connects on the first request and again after anything closed it: a response with
 * {@code Connection: close} or without framing, a failure (a request is never re-sent: a POST may
 * have been processed, and a soak counts each exactly once), or {@link #close()}. Every request
 * leaves in a single write. Every read is bounded by the timeout, so no request hangs a test.
 *
 * <p>What each request shape is for:
 * <ul>
 *   <li>{@link #get}, {@link #post}, {@link #send}: well-framed requests with any method, headers and
 *       body bytes; {@link RawHttp.Response} carries status, headers, body and elapsed time.
 *   <li>{@link #raw(byte[], boolean, boolean)}: bytes no client library sends (broken framing, odd
 *       request lines), optionally half-closing the connection after them.
 *   <li>{@link #output()}, {@link #available()}, {@link #readResponse()}: slow or partial uploads
 *       written by the test itself, reading the answer whenever it arrives.
 *   <li>{@link #stream}: a response read incrementally, chunk by chunk or server-sent event by event,
 *       each within a deadline.
 *   <li>{@link #postForStatus}: the load generator's path, which keeps only the status code.
 * </ul>
 *
 * <p>When the server answers early and closes while the request is still being written (a 413 for
 * a body over its limit), the write fails, and the answer that arrived is read and returned, as curl
 * and browsers do. Not thread-safe: one connection per client thread.
 */
public final class HttpConnection implements AutoCloseable {
    private final String host;
    private final int port;
    private final String hostAndPort;
    private final int timeoutMillis;
    private final RequestBuffer request = new RequestBuffer();
    private Socket socket;
    private OutputStream out;
    private ResponseReader reader;

    HttpConnection(String host, int port, Duration timeout) {
        this.host = host;
        this.port = port;
        this.hostAndPort = host + ":" + port;
        this.timeoutMillis = timeoutMillis(timeout);
    }

    /** Socket timeouts are whole milliseconds in an {@code int}, and 0 would mean "wait forever". */
    static int timeoutMillis(Duration timeout) {
        if (timeout.toMillis() < 1 || timeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("timeout must be between 1 ms and 24 days, was " + timeout);
        }
        return (int) timeout.toMillis();
    }

    /**
     * Sends {@code GET path}.
     *
     * @param path the request target, sent as given
     * @return the response
     * @throws SocketTimeoutException if no complete response arrives within the timeout
     * @throws IOException if the connection fails or the server closes it without a complete response
     */
    public RawHttp.Response get(String path) throws IOException {
        return send("GET", path, Map.of(), null);
    }

    /**
     * Sends {@code DELETE path}.
     *
     * @param path the request target
     * @return the response
     * @throws IOException as {@link #get}
     */
    public RawHttp.Response delete(String path) throws IOException {
        return send("DELETE", path, Map.of(), null);
    }

    /**
     * Sends {@code POST path} with a JSON body, encoded as UTF-8.
     *
     * @param path the request target
     * @param json the body, sent as it is (it need not be valid JSON)
     * @return the response
     * @throws IOException as {@link #get}
     */
    public RawHttp.Response postJson(String path, String json) throws IOException {
        return post(path, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Sends {@code POST path} with {@code Content-Type} and {@code Content-Length} set.
     *
     * @param path the request target
     * @param contentType the {@code Content-Type} value
     * @param body the body bytes, sent as they are
     * @return the response
     * @throws IOException as {@link #get}
     */
    public RawHttp.Response post(String path, String contentType, byte[] body) throws IOException {
        return exchange("POST", path, false, Map.of(), contentType, body);
    }

    /**
     * Sends a request with any method, headers and body. {@code Host} comes first; {@code
     * Content-Length} is added when there is a body unless {@code headers} set {@code Content-Length}
     * or {@code Transfer-Encoding} themselves (then they may lie).
     *
     * @param method the method, sent as given
     * @param path the request target
     * @param headers more header fields, in their iteration order
     * @param body the body, or {@code null} for none ({@code new byte[0]} sends {@code Content-Length: 0})
     * @return the response
     * @throws IOException as {@link #get}
     */
    public RawHttp.Response send(String method, String path, Map<String, String> headers, byte[] body)
            throws IOException {
        return exchange(method, path, false, headers, null, body);
    }

    RawHttp.Response exchange(String method, String path, boolean close, Map<String, String> headers,
            String contentType, byte[] body) throws IOException {
        long started = System.nanoTime();
        request.request(method, path, hostAndPort, close, headers, contentType, body);
        return respond(null, method.equals("HEAD"), false, started);
    }

    /**
     * Sends bytes as they are (a whole request, framed or not) and reads one response.
     *
     * @param request the bytes to send
     * @param head whether the request is a {@code HEAD} (its response has no body)
     * @return the response
     * @throws IOException as {@link #get}
     */
    public RawHttp.Response raw(byte[] request, boolean head) throws IOException {
        return raw(request, head, false);
    }

    /**
     * Like {@link #raw(byte[], boolean)}; with {@code halfClose} the sending side is shut down after
     * the bytes, so a server waiting for more body sees end-of-stream instead of waiting out its own
     * timeout; the connection is closed after the answer.
     *
     * @param request the bytes to send
     * @param head whether the request is a {@code HEAD}
     * @param halfClose whether to shut down output after sending
     * @return the response
     * @throws IOException as {@link #get}
     */
    public RawHttp.Response raw(byte[] request, boolean head, boolean halfClose) throws IOException {
        long started = System.nanoTime();
        return respond(request, head, halfClose, started);
    }

    /**
     * Sends {@code POST path} and returns only the status code; the body is skipped, never kept.
     * For load generators: on a kept-alive connection this allocates nothing per request, so the
     * client's own cost stays out of what a benchmark measures.
     *
     * @param path the request target
     * @param contentType the {@code Content-Type} value
     * @param body the body bytes
     * @return the status code
     * @throws IOException as {@link #get}
     */
    public int postForStatus(String path, String contentType, byte[] body) throws IOException {
        request.request("POST", path, hostAndPort, false, Map.of(), contentType, body);
        try {
            connect();
            request.writeTo(out);
            int status = reader.readHead(null);
            reader.body(false, status, null);
            if (reader.mustClose()) {
                close();
            }
            return status;
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /**
     * Opens the connection if needed and returns its output, for tests that write a request slowly or
     * in pieces themselves; read the answer with {@link #readResponse()}.
     *
     * @return the socket's output stream (unbuffered)
     * @throws IOException if the connection cannot be opened
     */
    public OutputStream output() throws IOException {
        connect();
        return out;
    }

    /**
     * How many response bytes have arrived and not been read, so a test writing a long upload can
     * stop once the server has answered.
     *
     * @return the byte count; 0 when nothing arrived or the connection is closed
     * @throws IOException if the socket fails
     */
    public int available() throws IOException {
        return reader == null ? 0 : reader.available();
    }

    /**
     * Reads one response on the open connection (after {@link #output()}).
     *
     * @return the response
     * @throws IOException as {@link #get}; the connection is closed then
     */
    public RawHttp.Response readResponse() throws IOException {
        if (socket == null) {
            throw new IOException("no open connection to " + hostAndPort + " to read a response from;"
                    + " write a request through output() first");
        }
        try {
            return read(false, System.nanoTime());
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /**
     * Sends a request and reads only the response's status line and headers; the body is then read
     * incrementally from the returned stream. For streamed answers ({@code text/event-stream}, chunked).
     *
     * @param method the method
     * @param path the request target
     * @param headers more header fields, as for {@link #send}
     * @param body the body, or {@code null}
     * @return the response, its body unread; close it to abandon the body
     * @throws IOException as {@link #get}
     */
    public ResponseStream stream(String method, String path, Map<String, String> headers, byte[] body)
            throws IOException {
        request.request(method, path, hostAndPort, false, headers, null, body);
        try {
            connect();
            request.writeTo(out);
            Map<String, String> received = new LinkedHashMap<>();
            int status = reader.readHead(received);
            return new ResponseStream(this, reader, status, received, method.equals("HEAD"));
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /** @return whether a connection is open (it closes after {@code Connection: close}, failures, {@link #close()}) */
    public boolean isOpen() {
        return socket != null;
    }

    /** Closes the connection; the next request opens a new one. Idempotent. */
    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing a test connection cannot fail in a way that matters
            }
            socket = null;
            out = null;
            reader = null;
        }
    }

    /** Writes {@code raw}, or the request in the buffer when it is {@code null}, and reads the answer. */
    private RawHttp.Response respond(byte[] raw, boolean head, boolean halfClose, long started) throws IOException {
        try {
            connect();
            try {
                if (raw == null) {
                    request.writeTo(out);
                } else {
                    out.write(raw);
                    out.flush();
                }
            } catch (IOException writeFailed) {
                // the server may have answered early (413) and closed: read that answer if it arrived
                try {
                    RawHttp.Response early = read(head, started);
                    close();
                    return early;
                } catch (IOException noAnswer) {
                    writeFailed.addSuppressed(noAnswer);
                    throw writeFailed;
                }
            }
            if (halfClose) {
                socket.shutdownOutput();
                try {
                    return read(head, started);
                } finally {
                    close();
                }
            }
            return read(head, started);
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    private RawHttp.Response read(boolean head, long started) throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        int status = reader.readHead(headers);
        if (System.nanoTime() - started > timeoutMillis * 1_000_000L) {
            throw new SocketTimeoutException("no complete response head within " + timeoutMillis + " ms");
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(
                (int) Math.min(Math.max(reader.contentLength(), 32), 64 * 1024 * 1024));
        reader.body(head, status, body);
        if (reader.mustClose()) {
            close();
        }
        return new RawHttp.Response(status, headers, body.toByteArray(), System.nanoTime() - started);
    }

    private void connect() throws IOException {
        if (socket != null) {
            return;
        }
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(InetAddress.getByName(host), port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            out = s.getOutputStream();
            reader = new ResponseReader(s, timeoutMillis);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        socket = s;
    }

    @Override
    public String toString() {
        return "HttpConnection[" + hostAndPort + (socket == null ? ", closed" : ", open") + "]";
    }
}
