package dev.airouter.backend;

import io.undertow.server.ExchangeCompletionListener;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When an exchange completes: one line on the {@code dev.airouter.backend.access} logger, and the
 * HTTP server meters ({@link Metrics#requestEnded}). The line has method, path, status,
 * milliseconds, session id prefix, request id and trace id; never message content or the query
 * string.
 *
 * <pre>POST /api/chat 200 3.4 ms session=1b2c3d4e id=7f3a9c0d12e4b5a6 trace=4bf92f3577b34da6a3ce929d0e0e4736</pre>
 *
 * <p>In a JSON log the same line carries {@code request_id}, {@code trace_id} and {@code session} (MDC)
 * and {@code method}, {@code path}, {@code status}, {@code duration_ms} (key-value pairs) as fields,
 * named as in the router's JSON access log.
 */
final class AccessLog {
    private static final Logger LOG = LoggerFactory.getLogger("dev.airouter.backend.access");
    /** The documented route template the request matched; absent when it matched none. */
    static final AttachmentKey<String> ROUTE = AttachmentKey.create(String.class);

    private AccessLog() {}

    static ExchangeCompletionListener listener(long startedNanos, String requestId, Metrics metrics) {
        return (exchange, next) -> {
            try {
                long nanos = System.nanoTime() - startedNanos;
                metrics.requestEnded(exchange.getRequestMethod().toString(), exchange.getAttachment(ROUTE),
                        exchange.getStatusCode(), nanos);
                if (LOG.isInfoEnabled()) {
                    log(exchange, nanos, requestId);
                }
            } finally {
                next.proceed();
            }
        };
    }

    private static void log(HttpServerExchange exchange, long nanos, String requestId) {
        TraceContext trace = exchange.getAttachment(Call.TRACE);
        String session = exchange.getAttachment(Call.SESSION);
        String method = Text.printable(exchange.getRequestMethod().toString());
        String path = Text.printable(exchange.getRequestPath());
        double millis = Math.round(nanos / 100_000.0) / 10.0;
        try (LogContext.Scope scope = new LogContext(requestId, trace.traceId(), session).open()) {
            LOG.atInfo()
                    .addKeyValue("method", method)
                    .addKeyValue("path", path)
                    .addKeyValue("status", exchange.getStatusCode())
                    .addKeyValue("duration_ms", millis)
                    .log(String.format(Locale.ROOT, "%s %s %d %.1f ms session=%s id=%s trace=%s", method, path,
                            exchange.getStatusCode(), millis, Text.prefix(session), requestId, trace.traceId()));
        }
    }
}
