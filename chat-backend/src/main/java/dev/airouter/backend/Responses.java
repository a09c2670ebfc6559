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
 */
final class Responses {
    static final HttpString X_REQUEST_ID = new HttpString("X-Request-Id");
    private static final String JSON_UTF8 = "application/json; charset=utf-8";

    private final Json json;

    Responses(Json json) {
        this.json = json;
    }

    void send(HttpServerExchange exchange, Reply reply) {
        if (exchange.isResponseStarted()) {
            return;
        }
        exchange.setStatusCode(reply.status());
        HeaderMap headers = exchange.getResponseHeaders();
        reply.headers().forEach((name, value) -> headers.put(new HttpString(name), value));
        headers.put(Headers.CACHE_CONTROL, "no-store");
        if (reply.body() == null) {
            exchange.setResponseContentLength(0);
            exchange.endExchange();
            return;
        }
        byte[] bytes = json.bytes(reply.body());
        headers.put(Headers.CONTENT_TYPE, JSON_UTF8);
        exchange.setResponseContentLength(bytes.length);
        exchange.getResponseSender().send(ByteBuffer.wrap(bytes));
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
