package dev.airouter.backend;

import org.slf4j.MDC;

/**
 * What every log line about one request carries, as MDC entries: {@code request_id}, {@code trace_id}
 * and {@code session} (the session id's first 8 characters, never the whole id). The names are the
 * JSON log's field names, the same in the router's JSON log, so that one query finds a request in
 * both. Message content is never put here.
 *
 * @param requestId the request id
 * @param traceId the W3C trace id, or {@code null}
 * @param sessionId the session id, or {@code null} while unknown
 */
record LogContext(String requestId, String traceId, String sessionId) {
    static final String REQUEST_ID = "request_id";
    static final String TRACE_ID = "trace_id";
    static final String SESSION = "session";

    /** Restores the thread's MDC when the request's work on it ends. */
    interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** Puts the entries in the current thread's MDC until the returned scope closes. */
    Scope open() {
        put(REQUEST_ID, requestId);
        put(TRACE_ID, traceId);
        put(SESSION, sessionId == null ? null : Text.prefix(sessionId));
        return () -> {
            MDC.remove(REQUEST_ID);
            MDC.remove(TRACE_ID);
            MDC.remove(SESSION);
        };
    }

    /** Adds the session, once known, to the current thread's entries. */
    static void session(String sessionId) {
        put(SESSION, sessionId == null ? null : Text.prefix(sessionId));
    }

    private static void put(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, value);
        }
    }
}
