package dev.airouter.backend;

import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The API's paths and methods. {@link #match} answers which endpoint handles a request, or the
 * 404 (unknown path) or 405 (known path, other method; with {@code Allow}) to send instead.
 * {@code HEAD} is accepted wherever {@code GET} is. Immutable after construction.
 */
final class Routes {
    /** Handles one call on a worker thread; throws {@link ApiError} for anything but success. */
    @FunctionalInterface
    interface Endpoint {
        Reply handle(Call call);
    }

    /** What a path accepts: method → endpoint, plus the {@code Allow} header value. */
    record PathRoutes(Map<HttpString, Endpoint> methods, String allow) {}

    /**
     * A matched request: its endpoint, whether it carries a JSON body, the path parameter, and
     * whether it counts against the in-flight limit (health and status do not, so they still answer
     * when the backend is saturated).
     */
    record Match(Endpoint endpoint, boolean hasBody, String pathParameter, String allow, boolean limited) {}

    static final String SESSIONS_PREFIX = "/api/sessions/";

    private final Map<String, PathRoutes> exact = new LinkedHashMap<>();
    private final java.util.Set<String> unlimited = new java.util.HashSet<>();
    private PathRoutes sessions;

    Routes post(String path, Endpoint endpoint) {
        return add(path, Methods.POST, endpoint);
    }

    Routes get(String path, Endpoint endpoint) {
        add(path, Methods.GET, endpoint);
        return add(path, Methods.HEAD, endpoint);
    }

    /** A GET (and HEAD) endpoint exempt from the in-flight limit: health and status reports. */
    Routes monitor(String path, Endpoint endpoint) {
        unlimited.add(path);
        return get(path, endpoint);
    }

    Routes delete(String path, Endpoint endpoint) {
        return add(path, Methods.DELETE, endpoint);
    }

    private Routes add(String path, HttpString method, Endpoint endpoint) {
        boolean parameterised = path.equals(SESSIONS_PREFIX + "{id}");
        PathRoutes current = parameterised ? sessions : exact.get(path);
        Map<HttpString, Endpoint> methods = new LinkedHashMap<>(current == null ? Map.of() : current.methods());
        methods.put(method, endpoint);
        PathRoutes next = new PathRoutes(Map.copyOf(methods), allow(methods));
        if (parameterised) {
            sessions = next;
        } else {
            exact.put(path, next);
        }
        return this;
    }

    private static String allow(Map<HttpString, Endpoint> methods) {
        return String.join(", ", methods.keySet().stream().map(HttpString::toString).sorted(
                (a, b) -> Integer.compare(ORDER.indexOf(a), ORDER.indexOf(b))).toList());
    }

    private static final List<String> ORDER = List.of("GET", "HEAD", "POST", "PUT", "DELETE");

    /**
     * @return the match, or {@code null} for an OPTIONS request on a known path (the caller answers it)
     * @throws ApiError 404 for an unknown path, 405 for a method the path does not accept
     */
    Match match(HttpString method, String path, PreflightSink preflight) {
        PathRoutes routes = exact.get(path);
        String parameter = null;
        if (routes == null && path.startsWith(SESSIONS_PREFIX) && path.length() > SESSIONS_PREFIX.length()
                && path.indexOf('/', SESSIONS_PREFIX.length()) < 0) {
            routes = sessions;
            parameter = path.substring(SESSIONS_PREFIX.length());
        }
        if (routes == null) {
            throw new ApiError(404, "not found", "no such path: " + Text.printable(path)
                    + "; the API has POST /api/chat, GET|DELETE /api/sessions/{id}, POST /api/chat/clear,"
                    + " GET /api/chat/stats, GET /health, GET /api/status");
        }
        if (method.equals(Methods.OPTIONS)) {
            preflight.answer(routes.allow());
            return null;
        }
        Endpoint endpoint = routes.methods().get(method);
        if (endpoint == null) {
            throw new ApiError(405, "method not allowed", "method " + Text.printable(method.toString())
                    + " is not allowed on " + Text.printable(path) + "; use " + routes.allow(),
                    Map.of("Allow", routes.allow() + ", OPTIONS"));
        }
        return new Match(endpoint, method.equals(Methods.POST), parameter, routes.allow(), !unlimited.contains(path));
    }

    /** Receives the Allow value of a known path for an OPTIONS request. */
    @FunctionalInterface
    interface PreflightSink {
        void answer(String allow);
    }
}
