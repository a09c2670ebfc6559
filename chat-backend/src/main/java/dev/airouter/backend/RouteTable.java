package dev.airouter.backend;

import dev.airouter.session.SessionIds;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The API's one table of endpoints: method, path template, handler, and whether the endpoint counts
 * against the in-flight limit. Routing (404, 405 with {@code Allow}, {@code OPTIONS}), the 404
 * text listing the API, and the README's endpoint table (checked by a test) all come from it, so
 * adding an endpoint is one row plus its handler.
 *
 * <p>Templates are literal segments and parameters: {@code {name}} matches any one non-empty
 * segment, {@code {name:session}} a session id ({@link SessionIds}), {@code {name:int}} a whole
 * number (0–999,999,999). A path is routed to the template it matches with the most literal
 * segments; a parameter of the wrong kind is a 400 naming the rule (after the method check, so a
 * wrong method is still a 405). {@code HEAD} is accepted wherever {@code GET} is. Immutable.
 */
final class RouteTable {
    /** Handles one call on a worker thread; throws {@link ApiError} for anything but success. */
    @FunctionalInterface
    interface Endpoint {
        Reply handle(Call call);
    }

    /**
     * One row of the table.
     *
     * @param method {@code GET}, {@code POST}, {@code DELETE} …
     * @param template the path template, e.g. {@code /api/sessions/{id:session}}
     * @param limited whether it counts against the in-flight limit (health and status do not, so they
     *     answer even when the backend is saturated)
     * @param jsonBody whether a request carries a JSON body (read and checked before the endpoint runs)
     */
    record Route(String method, String template, Endpoint endpoint, boolean limited, boolean jsonBody) {
        /** The method and the template as documented: {@code GET /api/sessions/{id}}. */
        String describe() {
            return method + " " + documented(template);
        }
    }

    /**
     * A routed request.
     *
     * @param parameters the template's parameters by name, validated
     * @param hasBody whether the method carries a JSON body
     */
    record Match(Route route, Map<String, String> parameters, boolean hasBody) {
        Endpoint endpoint() {
            return route.endpoint();
        }

        boolean limited() {
            return route.limited();
        }
    }

    /** Receives the Allow value of a known path for an {@code OPTIONS} request. */
    @FunctionalInterface
    interface PreflightSink {
        void answer(String allow);
    }

    private static final List<String> METHOD_ORDER = List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE");
    private static final Pattern PARAMETER = Pattern.compile("\\{([A-Za-z][A-Za-z0-9]*)(?::(session|int))?}");
    private static final Pattern WHOLE_NUMBER = Pattern.compile("0|[1-9][0-9]{0,8}");

    private final List<Route> routes;
    private final List<PathGroup> groups;
    private final String summary;

    private RouteTable(List<Route> routes) {
        this.routes = List.copyOf(routes);
        Map<String, List<Route>> byTemplate = new LinkedHashMap<>();
        routes.forEach(r -> byTemplate.computeIfAbsent(r.template(), t -> new ArrayList<>()).add(r));
        Map<String, String> byShape = new LinkedHashMap<>();
        for (String template : byTemplate.keySet()) {
            String other = byShape.putIfAbsent(shape(template), template);
            if (other != null) {
                throw new IllegalArgumentException(template + " and " + other + " match the same paths with"
                        + " different parameters; write the template the same way in every row");
            }
        }
        List<PathGroup> list = new ArrayList<>();
        byTemplate.forEach((template, rows) -> list.add(new PathGroup(template, rows)));
        list.sort(Comparator.comparingInt(PathGroup::literals).reversed());
        this.groups = List.copyOf(list);
        this.summary = byTemplate.entrySet().stream()
                .map(e -> e.getValue().stream().map(Route::method).collect(Collectors.joining("|")) + " "
                        + documented(e.getKey()))
                .collect(Collectors.joining(", "));
    }

    static Builder builder() {
        return new Builder();
    }

    /** @return every row, in the order added ({@code HEAD} rows are implied, not listed) */
    List<Route> routes() {
        return routes;
    }

    /** @return the API in one line, e.g. {@code POST /api/chat, GET|DELETE /api/sessions/{id}, …} */
    String summary() {
        return summary;
    }

    /**
     * @return the match, or {@code null} for an {@code OPTIONS} request on a known path (answered
     *     through {@code preflight})
     * @throws ApiError 404 for an unknown path, 405 for a method the path does not accept, 400 for a
     *     path parameter of the wrong kind
     */
    Match match(HttpString method, String path, PreflightSink preflight) {
        return match(method, path, preflight, template -> { });
    }

    /**
     * As {@link #match(HttpString, String, PreflightSink)}, telling {@code matched} the documented
     * template of the path ({@code /api/sessions/{id}}) before the method and the parameters are
     * checked, so a 405 or a 400 on a known path is still counted under its route.
     */
    Match match(HttpString method, String path, PreflightSink preflight, java.util.function.Consumer<String> matched) {
        String[] segments = segments(path);
        for (PathGroup group : groups) {
            if (group.matches(segments)) {
                matched.accept(group.documented);
                return group.match(method, path, segments, preflight);
            }
        }
        throw new ApiError(404, "not found", "no such path: " + Text.printable(path) + "; the API has " + summary);
    }

    private static String[] segments(String path) {
        return path.startsWith("/") ? path.substring(1).split("/", -1) : new String[] {path};
    }

    static String documented(String template) {
        return PARAMETER.matcher(template).replaceAll("{$1}");
    }

    /** The paths a template matches, ignoring parameter names and kinds: {@code /api/sessions/{}}. */
    private static String shape(String template) {
        return PARAMETER.matcher(template).replaceAll("{}");
    }

    /** Every route of one template. */
    private static final class PathGroup {
        private final String[] parts; // a literal segment, or null for a parameter
        private final String[] names;
        private final String[] kinds;
        private final Map<HttpString, Route> methods = new LinkedHashMap<>();
        private final String allow;
        private final String documented;

        PathGroup(String template, List<Route> rows) {
            documented = documented(template);
            String[] segments = segments(template);
            parts = new String[segments.length];
            names = new String[segments.length];
            kinds = new String[segments.length];
            for (int i = 0; i < segments.length; i++) {
                var m = PARAMETER.matcher(segments[i]);
                if (m.matches()) {
                    names[i] = m.group(1);
                    kinds[i] = m.group(2) == null ? "" : m.group(2);
                } else {
                    parts[i] = segments[i];
                }
            }
            for (Route r : rows) {
                methods.put(HttpString.tryFromString(r.method()), r);
                if (r.method().equals("GET")) {
                    methods.putIfAbsent(Methods.HEAD, r);
                }
            }
            allow = methods.keySet().stream().map(HttpString::toString)
                    .sorted(Comparator.comparingInt(METHOD_ORDER::indexOf)).collect(Collectors.joining(", "));
        }

        int literals() {
            int n = 0;
            for (String p : parts) {
                n += p != null ? 1 : 0;
            }
            return n;
        }

        boolean matches(String[] segments) {
            if (segments.length != parts.length) {
                return false;
            }
            for (int i = 0; i < parts.length; i++) {
                if (parts[i] != null ? !parts[i].equals(segments[i]) : segments[i].isEmpty()) {
                    return false;
                }
            }
            return true;
        }

        Match match(HttpString method, String path, String[] segments, PreflightSink preflight) {
            if (method.equals(Methods.OPTIONS)) {
                preflight.answer(allow);
                return null;
            }
            Route route = methods.get(method);
            if (route == null) {
                throw new ApiError(405, "method not allowed", "method " + Text.printable(method.toString())
                        + " is not allowed on " + Text.printable(path) + "; use " + allow,
                        Map.of("Allow", allow + ", OPTIONS"));
            }
            Map<String, String> parameters = Map.of();
            for (int i = 0; i < parts.length; i++) {
                if (parts[i] == null) {
                    if (parameters.isEmpty()) {
                        parameters = new LinkedHashMap<>();
                    }
                    parameters.put(names[i], check(names[i], kinds[i], segments[i]));
                }
            }
            return new Match(route, Map.copyOf(parameters), route.jsonBody());
        }

        private static String check(String name, String kind, String value) {
            if (kind.equals("session") && !SessionIds.isValid(value)) {
                throw ApiError.badRequest("invalid sessionId", "the session id in the path must be " + SessionIds.RULE);
            }
            if (kind.equals("int") && !WHOLE_NUMBER.matcher(value).matches()) {
                throw ApiError.badRequest("invalid " + name, "the " + name + " in the path must be a whole number"
                        + " 0-999999999, was " + Text.printable(value));
            }
            return value;
        }
    }

    /**
     * Collects rows. A method and path may be added once; {@link #build()} also refuses two templates
     * that match the same paths but name or type their parameters differently.
     */
    static final class Builder {
        private final List<Route> routes = new ArrayList<>();

        private Builder() {}

        Builder get(String template, Endpoint endpoint) {
            return add("GET", template, endpoint, true);
        }

        Builder post(String template, Endpoint endpoint) {
            return add("POST", template, endpoint, true);
        }

        Builder delete(String template, Endpoint endpoint) {
            return add("DELETE", template, endpoint, true);
        }

        /** A {@code GET} endpoint exempt from the in-flight limit: health and status reports. */
        Builder monitor(String template, Endpoint endpoint) {
            return add("GET", template, endpoint, false);
        }

        /**
         * A {@code POST} that takes no body (a body sent anyway is not read), exempt from the
         * in-flight limit: admin commands, which must work on a saturated backend.
         */
        Builder command(String template, Endpoint endpoint) {
            return add("POST", template, endpoint, false, false);
        }

        Builder add(String method, String template, Endpoint endpoint, boolean limited) {
            return add(method, template, endpoint, limited, method.equals("POST"));
        }

        private Builder add(String method, String template, Endpoint endpoint, boolean limited, boolean jsonBody) {
            if (!template.startsWith("/")) {
                throw new IllegalArgumentException("a path template starts with '/': " + template);
            }
            for (String segment : segments(template)) {
                if (segment.contains("{") && !PARAMETER.matcher(segment).matches()) {
                    throw new IllegalArgumentException("bad parameter '" + segment + "' in " + template
                            + "; expected {name}, {name:session} or {name:int}");
                }
            }
            for (Route r : routes) {
                if (r.method().equals(method) && shape(r.template()).equals(shape(template))) {
                    throw new IllegalArgumentException(method + " " + template + " is already in the table");
                }
            }
            routes.add(new Route(method, template, endpoint, limited, jsonBody));
            return this;
        }

        RouteTable build() {
            return new RouteTable(routes);
        }
    }
}
