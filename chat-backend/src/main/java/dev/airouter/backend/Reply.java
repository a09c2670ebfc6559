package dev.airouter.backend;

import java.util.Map;

/**
 * What an endpoint answers: a status, a JSON body ({@code null} for none, e.g. 204) and extra headers.
 */
record Reply(int status, Object body, Map<String, String> headers) {
    Reply {
        headers = Map.copyOf(headers);
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
}
