package dev.airouter.backend;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.ByteArrayOutputStream;
import java.util.Locale;
import java.util.function.Consumer;
import org.xnio.XnioExecutor;

/**
 * Reads a POST body without blocking the IO thread, within the size limit.
 *
 * <p>Order of checks: {@code Content-Type} must be JSON (415); a declared {@code Content-Length}
 * over the limit is refused before a byte is read (413, connection closed after the answer); a
 * chunked body is counted as it arrives and refused (413) as soon as it passes the limit. Nothing
 * beyond the limit is ever buffered.
 */
final class BodyReader {
    /** A body must arrive completely within this time, else 408 and the connection is closed. */
    static final long READ_TIMEOUT_MILLIS = 30_000;
    private final long maxBytes;
    private final Responses responses;
    private final long readTimeoutMillis;

    BodyReader(long maxBytes, Responses responses) {
        this(maxBytes, responses, READ_TIMEOUT_MILLIS);
    }

    BodyReader(long maxBytes, Responses responses, long readTimeoutMillis) {
        this.maxBytes = maxBytes;
        this.responses = responses;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    /**
     * Checks the headers, then reads the body and hands it to {@code then} (on the IO thread).
     *
     * @throws ApiError 415 or 413 when the headers already settle it
     */
    void read(HttpServerExchange exchange, Consumer<byte[]> then) {
        checkContentType(exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE));
        long declared = exchange.getRequestContentLength();
        if (declared > maxBytes) {
            exchange.setPersistent(false);
            throw tooLarge(declared + " bytes");
        }
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(declared > 0 ? (int) declared : 512);
        boolean[] refused = {false};
        boolean[] done = {false};
        // all callbacks below run on this exchange's IO thread, so the flags need no locking
        XnioExecutor.Key timer = exchange.getIoThread().executeAfter(() -> {
            if (!done[0] && !refused[0] && !exchange.isResponseStarted()) {
                refused[0] = true;
                exchange.getRequestReceiver().pause();
                exchange.setPersistent(false);
                responses.error(exchange, new ApiError(408, "request body timed out",
                        "only " + buffer.size() + " bytes of the body arrived within " + readTimeoutMillis
                                + " ms; send the whole body promptly"));
            }
        }, readTimeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        exchange.getRequestReceiver().receivePartialBytes((ex, data, last) -> {
            if (refused[0]) {
                return;
            }
            if (buffer.size() + (long) data.length > maxBytes) {
                refused[0] = true;
                timer.remove();
                ex.getRequestReceiver().pause();
                ex.setPersistent(false);
                responses.error(ex, tooLarge("more than " + maxBytes + " bytes"));
                return;
            }
            buffer.write(data, 0, data.length);
            if (last) {
                done[0] = true;
                timer.remove(); // else every request would leave a 30 s timer behind on the IO thread
                then.accept(buffer.toByteArray());
            }
        }, (ex, error) -> {
            timer.remove();
            ex.setPersistent(false);
            if (ex.isResponseStarted()) {
                ex.endExchange();
            } else {
                responses.error(ex, ApiError.badRequest("request body could not be read",
                        "the connection failed while the body was being received: " + error.getMessage()));
            }
        });
    }

    private ApiError tooLarge(String size) {
        return new ApiError(413, "request body too large",
                "the body is " + size + "; the limit is " + maxBytes + " bytes (maxBodyBytes)");
    }

    private static void checkContentType(String contentType) {
        if (contentType == null) {
            throw unsupported("no Content-Type header");
        }
        String[] parts = contentType.split(";");
        String media = parts[0].trim().toLowerCase(Locale.ROOT);
        if (!media.equals("application/json") && !(media.startsWith("application/") && media.endsWith("+json"))) {
            throw unsupported("Content-Type " + Text.printable(contentType));
        }
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (kv.length == 2 && kv[0].trim().equalsIgnoreCase("charset")) {
                String charset = kv[1].trim().replace("\"", "");
                if (!charset.equalsIgnoreCase("utf-8") && !charset.equalsIgnoreCase("utf8")) {
                    throw unsupported("charset " + Text.printable(charset));
                }
            }
        }
    }

    private static ApiError unsupported(String what) {
        return new ApiError(415, "unsupported media type",
                what + "; send a JSON body with -H 'Content-Type: application/json' (UTF-8)");
    }
}
