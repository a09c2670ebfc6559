package dev.airouter.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over plain sockets for tests and load generators, with every byte in the caller's hands.
 *
 * <p>Why not {@code java.net.http} or OkHttp: tests must send what well-behaved clients never send
 * (missing or lying headers, invalid UTF-8, declared lengths the body never reaches, broken framing),
 * must read the early answer of a server that refuses a body mid-upload and closes, and a soak or a
 * load benchmark must not add client threads or pooled connections to what it measures. JSON stays
 * out of this class (test-support depends on JUnit and the JDK only): parse {@link Response#body()}
 * with the consuming module's own mapper.
 *
 * <p>Two shapes:
 * <ul>
 *   <li>this class: one request per connection ({@code Connection: close}); immutable and
 *       thread-safe; failures are {@link UncheckedIOException}s, so assertions read plainly.
 *   <li>{@link HttpConnection} from {@link #keepAlive}: one kept-alive connection for several
 *       requests, raw bytes, slow uploads, streamed responses, and a status-only path for load
 *       generators; not thread-safe; failures are {@link IOException}s a caller can count.
 * </ul>
 *
 * <p>Defaults: timeout {@link #DEFAULT_TIMEOUT} for connecting and for every read.
 *
 * <pre>{@code
 * RawHttp http = RawHttp.to(backend.url());
 * RawHttp.Response created = http.postJson("/api/chat", "{\"message\":\"hi\"}");
 * RawHttp.Response lying = http.send("POST", "/api/chat",
 *         Map.of("Content-Type", "application/json", "Content-Length", "10000000000"), new byte[0]);
 *
 * try (HttpConnection connection = RawHttp.keepAlive(backend.url(), Duration.ofSeconds(5))) {
 *     int status = connection.postForStatus("/api/chat", "application/json", body);
 * }
 * }</pre>
 */
public final class RawHttp {
    /** The timeout {@link #to(URI)} starts with: connecting, and each read of the response. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

    private final String host;
    private final int port;
    private final Duration timeout;

    private RawHttp(String host, int port, Duration timeout) {
        this.host = host;
        this.port = port;
        this.timeout = timeout;
    }

    /**
     * A client for one-shot requests to the host and port of {@code base} (its path is ignored).
     *
     * @param base e.g. {@code http://127.0.0.1:3002}
     * @return the client, with {@link #DEFAULT_TIMEOUT}
     */
    public static RawHttp to(URI base) {
        return new RawHttp(base.getHost(), port(base), DEFAULT_TIMEOUT);
    }

    /**
     * @param timeout for connecting and for each read of a response
     * @return a client like this one with another timeout
     * @throws IllegalArgumentException if the timeout is not between 1 ms and 24 days
     */
    public RawHttp withTimeout(Duration timeout) {
        HttpConnection.timeoutMillis(timeout);
        return new RawHttp(host, port, timeout);
    }

    /**
     * A kept-alive connection to the host and port of {@code base}; it connects on the first request.
     *
     * @param base e.g. {@code http://127.0.0.1:3002}
     * @param timeout for connecting and for each read of a response
     * @return the connection; close it
     */
    public static HttpConnection keepAlive(URI base, Duration timeout) {
        return new HttpConnection(base.getHost(), port(base), timeout);
    }

    /**
     * A kept-alive connection to {@code host:port}; it connects on the first request.
     *
     * @param host a host name or address, also sent as {@code Host}
     * @param port the port
     * @param timeout for connecting and for each read of a response
     * @return the connection; close it
     */
    public static HttpConnection keepAlive(String host, int port, Duration timeout) {
        return new HttpConnection(host, port, timeout);
    }

    /**
     * Sends {@code GET path}.
     *
     * @param path the request target, sent as given
     * @return the response
     * @throws UncheckedIOException if the connection fails or no complete response arrives in time
     */
    public Response get(String path) {
        return send("GET", path, Map.of(), null);
    }

    /**
     * Sends {@code DELETE path}.
     *
     * @param path the request target
     * @return the response
     * @throws UncheckedIOException as {@link #get}
     */
    public Response delete(String path) {
        return send("DELETE", path, Map.of(), null);
    }

    /**
     * Sends {@code POST path} with a JSON body, encoded as UTF-8.
     *
     * @param path the request target
     * @param json the body, sent as it is (it need not be valid JSON)
     * @return the response
     * @throws UncheckedIOException as {@link #get}
     */
    public Response postJson(String path, String json) {
        return post(path, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Sends {@code POST path} with {@code Content-Type} and {@code Content-Length} set.
     *
     * @param path the request target
     * @param contentType the {@code Content-Type} value
     * @param body the body bytes, sent as they are
     * @return the response
     * @throws UncheckedIOException as {@link #get}
     */
    public Response post(String path, String contentType, byte[] body) {
        return exchange("POST", path, Map.of(), contentType, body);
    }

    /**
     * Sends a request with any method, headers and body: {@code Host} and {@code Connection: close}
     * first, then {@code headers}; {@code Content-Length} is added when there is a body unless
     * {@code headers} set {@code Content-Length} or {@code Transfer-Encoding} themselves (then they may lie).
     *
     * @param method the method, sent as given
     * @param path the request target
     * @param headers more header fields, in their iteration order
     * @param body the body, or {@code null} for none ({@code new byte[0]} sends {@code Content-Length: 0})
     * @return the response
     * @throws UncheckedIOException as {@link #get}
     */
    public Response send(String method, String path, Map<String, String> headers, byte[] body) {
        return exchange(method, path, headers, null, body);
    }

    private Response exchange(String method, String path, Map<String, String> headers, String contentType,
            byte[] body) {
        try (HttpConnection connection = new HttpConnection(host, port, timeout)) {
            return connection.exchange(method, path, true, headers, contentType, body);
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " to " + host + ":" + port + " failed", e);
        }
    }

    private static int port(URI base) {
        return base.getPort() >= 0 ? base.getPort() : 80; // plain HTTP only
    }

    @Override
    public String toString() {
        return "RawHttp[" + host + ":" + port + ", timeout " + timeout + "]";
    }

    /**
     * One response.
     *
     * @param status the status code (interim 1xx responses are skipped)
     * @param headers header fields, names lower-cased, repeated ones joined with {@code ", "}
     * @param body the body, decoded from chunked transfer coding when it was chunked
     * @param nanos from sending the request to having the whole response
     */
    public record Response(int status, Map<String, String> headers, byte[] body, long nanos) {
        /**
         * Keeps an unmodifiable view of the headers.
         *
         * @param status the status code
         * @param headers header fields, names lower-cased
         * @param body the body
         * @param nanos from sending the request to having the whole response
         */
        public Response {
            headers = Collections.unmodifiableMap(headers);
        }

        /** @return the body decoded as UTF-8 */
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /**
         * @param name a header name, any case
         * @return its value, or {@code null} when absent, so assertions on it read directly
         *     ({@code assertThat(r.header("Allow")).contains("GET")})
         */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }
}
