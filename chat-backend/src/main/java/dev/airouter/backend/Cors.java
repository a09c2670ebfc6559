package dev.airouter.backend;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * CORS for the configured origins. A request from an allowed origin gets
 * {@code Access-Control-Allow-Origin} (and {@code Vary: Origin}); a preflight also gets the path's
 * methods and the allowed request headers. Any other origin simply gets no CORS headers — never a
 * 403, so same-origin and proxied calls are unaffected.
 */
final class Cors {
    private static final HttpString ORIGIN = new HttpString("Origin");
    private static final HttpString VARY = new HttpString("Vary");
    private static final HttpString ALLOW_ORIGIN = new HttpString("Access-Control-Allow-Origin");
    private static final HttpString ALLOW_METHODS = new HttpString("Access-Control-Allow-Methods");
    private static final HttpString ALLOW_HEADERS = new HttpString("Access-Control-Allow-Headers");
    private static final HttpString EXPOSE_HEADERS = new HttpString("Access-Control-Expose-Headers");
    private static final HttpString MAX_AGE = new HttpString("Access-Control-Max-Age");
    static final HttpString REQUEST_METHOD = new HttpString("Access-Control-Request-Method");
    private static final String ALLOWED_HEADERS = "Content-Type, X-Request-Id";

    private final Set<String> origins;

    Cors(List<String> origins) {
        this.origins = origins.stream().map(o -> o.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /** Adds the simple-response headers when the request comes from an allowed origin. */
    void apply(HttpServerExchange exchange) {
        HeaderMap response = exchange.getResponseHeaders();
        response.add(VARY, "Origin");
        String origin = exchange.getRequestHeaders().getFirst(ORIGIN);
        if (origin != null && origins.contains(origin.toLowerCase(Locale.ROOT))) {
            response.put(ALLOW_ORIGIN, origin);
            response.put(EXPOSE_HEADERS, "X-Request-Id, Retry-After");
        }
    }

    /** Completes the answer to {@code OPTIONS} on a known path: a preflight or a plain Allow. */
    void preflight(HttpServerExchange exchange, String allowedMethods) {
        HeaderMap response = exchange.getResponseHeaders();
        response.put(new HttpString("Allow"), allowedMethods + ", OPTIONS");
        if (response.contains(ALLOW_ORIGIN) && exchange.getRequestHeaders().contains(REQUEST_METHOD)) {
            response.put(ALLOW_METHODS, allowedMethods);
            response.put(ALLOW_HEADERS, ALLOWED_HEADERS);
            response.put(MAX_AGE, "600");
        }
    }
}
