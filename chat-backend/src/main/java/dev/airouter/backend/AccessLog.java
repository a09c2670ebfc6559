package dev.airouter.backend;

import io.undertow.server.ExchangeCompletionListener;
import io.undertow.server.HttpServerExchange;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request on the {@code dev.airouter.backend.access} logger, written when the exchange
 * completes: method, path, status, milliseconds, session id prefix, request id. Never message content
 * or the query string.
 *
 * <pre>POST /api/chat 200 3.4 ms session=1b2c3d4e id=7f3a9c0d12e4b5a6</pre>
 */
final class AccessLog {
    private static final Logger LOG = LoggerFactory.getLogger("dev.airouter.backend.access");

    private AccessLog() {}

    static ExchangeCompletionListener listener(long startedNanos, String requestId) {
        return (exchange, next) -> {
            try {
                if (LOG.isInfoEnabled()) {
                    LOG.info(line(exchange, startedNanos, requestId));
                }
            } finally {
                next.proceed();
            }
        };
    }

    private static String line(HttpServerExchange exchange, long startedNanos, String requestId) {
        double millis = (System.nanoTime() - startedNanos) / 1_000_000.0;
        return String.format(Locale.ROOT, "%s %s %d %.1f ms session=%s id=%s",
                Text.printable(exchange.getRequestMethod().toString()), Text.printable(exchange.getRequestPath()),
                exchange.getStatusCode(), millis, Text.prefix(exchange.getAttachment(Call.SESSION)), requestId);
    }
}
