package dev.airouter.backend;

import java.util.Map;

/**
 * What an endpoint answers: a status, a JSON body ({@code null} for none, e.g. 204) and extra headers;
 * or a reply that streams ({@code stream} set: the request handler opens it on the IO thread).
 */
record Reply(int status, Object body, Map<String, String> headers, ChatStream stream) {
    Reply {
        headers = Map.copyOf(headers);
    }

    Reply(int status, Object body, Map<String, String> headers) {
        this(status, body, headers, null);
    }

    static Reply streaming(ChatStream stream) {
        return new Reply(200, null, Map.of(), stream);
    }

    static Reply ok(Object body) {
        return new Reply(200, body, Map.of());
    }

    static Reply of(int status, Object body) {
        return new Reply(status, body, Map.of());
    }

    static Reply noContent() {
        return new Reply(204, null, Map.of());
    }

    /** A body sent as it is, not as JSON. */
    record Text(String contentType, String text) {}

    /** A plain-text (or other textual) reply: probes, {@code /metrics}. */
    static Reply text(int status, String contentType, String text) {
        return new Reply(status, new Text(contentType, text), Map.of());
    }
}
