package dev.airouter.backend;

import com.fasterxml.jackson.databind.JsonNode;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import java.util.Map;

/**
 * One request as an endpoint sees it: the parsed JSON body (an empty object for methods without a
 * body), the path parameters of its route template (validated by {@link RouteTable}) and the request
 * id. {@link #noteSession} records the session for the access log.
 */
final class Call {
    static final AttachmentKey<String> SESSION = AttachmentKey.create(String.class);
    /** The request's trace context, set when the request arrives (before any endpoint or completion listener runs). */
    static final AttachmentKey<TraceContext> TRACE = AttachmentKey.create(TraceContext.class);

    private final HttpServerExchange exchange;
    private final String requestId;
    private final JsonNode body;
    private final Map<String, String> parameters;

    Call(HttpServerExchange exchange, String requestId, JsonNode body, Map<String, String> parameters) {
        this.exchange = exchange;
        this.requestId = requestId;
        this.body = body;
        this.parameters = parameters;
    }

    String requestId() {
        return requestId;
    }

    /** @return the first value of a request header, if present */
    java.util.Optional<String> header(String name) {
        return java.util.Optional.ofNullable(exchange.getRequestHeaders().getFirst(name));
    }

    /** @return the client's address, for logs about refused requests */
    String clientAddress() {
        java.net.InetSocketAddress address = exchange.getSourceAddress();
        if (address == null) {
            return "unknown";
        }
        return (address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString()) + ":"
                + address.getPort();
    }

    /** @return whether the query string has this parameter, with or without a value ({@code ?verbose}) */
    boolean hasQueryParameter(String name) {
        return exchange.getQueryParameters().containsKey(name);
    }

    JsonNode body() {
        return body;
    }

    /**
     * @throws IllegalStateException if the route's template has no such parameter (a bug)
     */
    String pathParameter(String name) {
        String value = parameters.get(name);
        if (value == null) {
            throw new IllegalStateException("the route has no path parameter '" + name + "'");
        }
        return value;
    }

    void noteSession(String sessionId) {
        exchange.putAttachment(SESSION, sessionId);
        LogContext.session(sessionId);
    }

    /** @return the {@code traceparent} to send the router: this request's trace, the backend's span as parent */
    String traceparent() {
        return exchange.getAttachment(TRACE).header();
    }

    /** @return what the log lines about this request carry (request id, trace id, session prefix) */
    LogContext logContext() {
        return new LogContext(requestId, exchange.getAttachment(TRACE).traceId(), exchange.getAttachment(SESSION));
    }
}
