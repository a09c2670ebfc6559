package dev.airouter.reliability;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal HTTP/1.1 client over one plain socket, kept alive between requests.
 *
 * <p>Why not {@code java.net.http}: the fuzz must send bytes no well-behaved client sends (broken
 * framing, invalid UTF-8, partial bodies), and the soak must not add client threads or pooled
 * connections to the thread and fd counts it compares. Every read is bounded by the socket timeout,
 * so no request can hang a test. Not thread-safe: one instance per client thread.
 */
final class RawHttp implements AutoCloseable {
    private final String host;
    private final int port;
    private final Duration timeout;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    RawHttp(URI base, Duration timeout) {
        this.host = base.getHost();
        this.port = base.getPort();
        this.timeout = timeout;
    }

    /** A response; {@code status} is the HTTP status code. */
    record Response(int status, Map<String, String> headers, byte[] body, long nanos) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    Response get(String path) throws IOException {
        return exchange("GET", path, null, null);
    }

    Response delete(String path) throws IOException {
        return exchange("DELETE", path, null, null);
    }

    Response postJson(String path, String json) throws IOException {
        return exchange("POST", path, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    /** A well-framed request (Content-Length set) with any method, content type and body bytes. */
    Response exchange(String method, String path, String contentType, byte[] body) throws IOException {
        StringBuilder head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(host).append(':').append(port).append("\r\n");
        if (contentType != null) {
            head.append("Content-Type: ").append(contentType).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
            request.writeBytes(body);
        }
        return raw(request.toByteArray(), method.equals("HEAD"));
    }

    /**
     * Sends raw bytes (a whole request, framed or not) and reads one response. On any failure the
     * connection is closed so the next call starts clean.
     *
     * @throws SocketTimeoutException if no complete response arrives within the timeout
     * @throws IOException if the server closed the connection without a complete response
     */
    Response raw(byte[] request, boolean head) throws IOException {
        return raw(request, head, false);
    }

    /**
     * Like {@link #raw(byte[], boolean)}; with {@code halfClose} the sending side is shut down after
     * the request, so a server waiting for more body bytes sees end-of-stream instead of waiting
     * (the connection is closed after the answer).
     */
    Response raw(byte[] request, boolean head, boolean halfClose) throws IOException {
        long started = System.nanoTime();
        try {
            connect();
            try {
                out.write(request);
                out.flush();
            } catch (IOException writeFailed) {
                // the server may have answered early (413) and closed: read that answer if it arrived
                try {
                    Response early = read(head, started);
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
            close(); // never re-sent: a POST may have been processed, and the soak counts exactly once
            throw e;
        }
    }

    /** Opens the connection if needed and returns its output, for callers that write slowly. */
    OutputStream open() throws IOException {
        connect();
        return out;
    }

    /** Reads one response on the open connection. */
    Response readResponse() throws IOException {
        try {
            return read(false, System.nanoTime());
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    private void connect() throws IOException {
        if (socket != null) {
            return;
        }
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(InetAddress.getByName(host), port), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            s.setTcpNoDelay(true);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        socket = s;
        in = new BufferedInputStream(s.getInputStream());
        out = s.getOutputStream();
    }

    private Response read(boolean head, long started) throws IOException {
        long deadline = started + timeout.toNanos();
        int status;
        Map<String, String> headers;
        do { // skip 1xx interim responses
            String statusLine = line();
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.x status line: " + printable(statusLine));
            }
            status = Integer.parseInt(parts[1]);
            headers = new LinkedHashMap<>();
            String h;
            while (!(h = line()).isEmpty()) {
                int colon = h.indexOf(':');
                if (colon > 0) {
                    headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
                }
            }
            if (System.nanoTime() > deadline) {
                throw new SocketTimeoutException("no complete response within " + timeout.toMillis() + " ms");
            }
        } while (status >= 100 && status < 200);
        byte[] body;
        String length = headers.get("content-length");
        if (head || status == 204 || status == 304) {
            body = new byte[0];
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = chunked();
        } else if (length != null) {
            body = in.readNBytes(Integer.parseInt(length.trim()));
            if (body.length < Integer.parseInt(length.trim())) {
                throw new EOFException("body ended after " + body.length + " of " + length + " bytes");
            }
        } else {
            body = in.readAllBytes();
            close();
        }
        if ("close".equalsIgnoreCase(headers.get("connection"))) {
            close();
        }
        return new Response(status, headers, body, System.nanoTime() - started);
    }

    private byte[] chunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = line();
            int semi = size.indexOf(';');
            int n = Integer.parseInt((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
            if (n == 0) {
                while (!line().isEmpty()) {
                    // trailers
                }
                return body.toByteArray();
            }
            byte[] chunk = in.readNBytes(n);
            if (chunk.length < n) {
                throw new EOFException("chunk ended early");
            }
            body.writeBytes(chunk);
            line();
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(64);
        int b;
        while ((b = in.read()) != '\n') {
            if (b == -1) {
                throw new EOFException("connection closed by the server"
                        + (buffer.size() > 0 ? " mid-line: " + printable(buffer.toString(StandardCharsets.ISO_8859_1)) : ""));
            }
            if (buffer.size() > 64 * 1024) {
                throw new IOException("response line over 64 KiB");
            }
            buffer.write(b);
        }
        String s = buffer.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private static String printable(String s) {
        String p = s.replaceAll("[^\\x20-\\x7e]", "?");
        return p.length() > 120 ? p.substring(0, 120) + "…" : p;
    }

    boolean isOpen() {
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
            in = null;
            out = null;
        }
    }
}
