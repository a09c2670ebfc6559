package dev.airouter.backend;

import com.fasterxml.jackson.databind.JsonNode;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;

/**
 * One request as an endpoint sees it: the parsed JSON body (an empty object for methods without a
 * body), the path parameter ({@code {id}} in {@code /api/sessions/{id}}, else {@code null}) and the
 * request id. {@link #noteSession} records the session for the access log.
 */
final class Call {
    static final AttachmentKey<String> SESSION = AttachmentKey.create(String.class);

    private final HttpServerExchange exchange;
    private final String requestId;
    private final JsonNode body;
    private final String pathParameter;

    Call(HttpServerExchange exchange, String requestId, JsonNode body, String pathParameter) {
        this.exchange = exchange;
        this.requestId = requestId;
        this.body = body;
        this.pathParameter = pathParameter;
    }

    String requestId() {
        return requestId;
    }

    JsonNode body() {
        return body;
    }

    String pathParameter() {
        return pathParameter;
    }

    void noteSession(String sessionId) {
        exchange.putAttachment(SESSION, sessionId);
    }
}
