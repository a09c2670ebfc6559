package dev.airouter.backend;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes JSON answers. Every body goes out as one buffer with its {@code Content-Length}, so
 * Undertow sends headers and body in a single write (no Nagle/delayed-ACK stall on keep-alive).
 *
 * <p>A reply is {@link #render rendered} (serialised) where it was computed, and {@link #write
 * written} on the exchange's IO thread: an exchange that completes on its IO thread re-arms the
 * connection for the next request locally, whereas one completed on a worker thread makes Undertow
 * hand that over to the IO thread through a spin on the connection's state, and the IO thread
 * spins for as long as the worker is descheduled (measured: most of the IO threads' CPU under load
 * on 2 cores).
 */
final class Responses {
    static final HttpString X_REQUEST_ID = new HttpString("X-Request-Id");
    private static final String JSON_UTF8 = "application/json; charset=utf-8";

    private final Json json;

    Responses(Json json) {
        this.json = json;
    }

    /** A reply with its body serialised: {@code bytes} is {@code null} when there is no body. */
    record Rendered(Reply reply, byte[] bytes) {}

    /**
     * Serialises the reply's body (any thread).
     *
     * @throws RuntimeException if the body cannot be serialised (a bug)
     */
    Rendered render(Reply reply) {
        if (reply.body() instanceof Reply.Text text) {
            return new Rendered(reply, text.text().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return new Rendered(reply, reply.body() == null ? null : json.bytes(reply.body()));
    }

    /** Writes a rendered reply and ends the exchange; does nothing if a response was already started. */
    void write(HttpServerExchange exchange, Rendered rendered) {
        if (exchange.isResponseStarted()) {
            return;
        }
        Reply reply = rendered.reply();
        exchange.setStatusCode(reply.status());
        HeaderMap headers = exchange.getResponseHeaders();
        reply.headers().forEach((name, value) -> headers.put(new HttpString(name), value));
        headers.put(Headers.CACHE_CONTROL, "no-store");
        if (rendered.bytes() == null) {
            exchange.setResponseContentLength(0);
            exchange.endExchange();
            return;
        }
        headers.put(Headers.CONTENT_TYPE, reply.body() instanceof Reply.Text text ? text.contentType() : JSON_UTF8);
        exchange.setResponseContentLength(rendered.bytes().length);
        exchange.getResponseSender().send(ByteBuffer.wrap(rendered.bytes()));
    }

    /** Renders and writes a reply on the current thread. */
    void send(HttpServerExchange exchange, Reply reply) {
        write(exchange, render(reply));
    }

    void error(HttpServerExchange exchange, ApiError error) {
        send(exchange, errorReply(error));
    }

    static Reply errorReply(ApiError error) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", false);
        body.put("error", error.error());
        body.put("details", error.details());
        return new Reply(error.status(), body, error.headers());
    }
}
