package dev.airouter.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the backend knows of a router from its health answers: the limits it accepts (advertised,
 * or the configured assumption for a router that advertises none) and, when advertised, the names
 * of its agents.
 *
 * @param limits what one {@code POST /route} may carry
 * @param advertised whether the limits came from the router itself
 * @param agents the router's agent names, when it lists them ({@code agent_names} in {@code /health})
 */
record RouterInfo(RouterLimits limits, boolean advertised, Optional<Set<String>> agents) {
    private static final Logger LOG = LoggerFactory.getLogger(RouterInfo.class);

    RouterInfo {
        agents = agents.map(a -> java.util.Collections.unmodifiableSet(new LinkedHashSet<>(a))); // keeps the router's order
    }

    /**
     * The strictest of several routers' limits (each the smallest), for checking a message before a
     * router is chosen; the agents of the first that lists them. The routers of one pool run the
     * same code, so normally they all say the same.
     *
     * @param fallback what to return when {@code infos} is empty
     */
    static RouterInfo strictest(java.util.List<RouterInfo> infos, RouterInfo fallback) {
        if (infos.isEmpty()) {
            return fallback;
        }
        RouterInfo first = infos.get(0);
        if (infos.size() == 1) {
            return first;
        }
        int history = first.limits.maxHistoryMessages();
        int query = first.limits.maxQueryCodePoints();
        long body = first.limits.maxBodyBytes();
        boolean advertised = false;
        Optional<Set<String>> agents = Optional.empty();
        for (RouterInfo i : infos) {
            history = Math.min(history, i.limits.maxHistoryMessages());
            query = Math.min(query, i.limits.maxQueryCodePoints());
            body = Math.min(body, i.limits.maxBodyBytes());
            advertised |= i.advertised;
            if (agents.isEmpty()) {
                agents = i.agents;
            }
        }
        return new RouterInfo(new RouterLimits(history, query, body), advertised, agents);
    }

    /** What is assumed before (or without) an advertisement. */
    static RouterInfo assumed(RouterLimits limits) {
        return new RouterInfo(limits, false, Optional.empty());
    }

    /**
     * The longest chat message this router can take with no history: the configured limit, the
     * router's query limit, and what its body limit leaves room for, whichever is smallest; 0 when
     * a router advertises a body limit too small for any message.
     */
    int maxMessageCodePoints(int configured) {
        return Math.min(configured, Math.min(limits.maxQueryCodePoints(), RouteBudget.maxQueryCodePoints(limits)));
    }

    /**
     * Reads a health answer: {@code "limits": {"max_history_messages", "max_query_chars",
     * "max_body_bytes"}} and {@code "agent_names": [...]}. A field that is missing keeps the
     * assumption. The backend never assumes more than a router says: a value out of range is
     * clamped into it (a history limit above 100,000 counts as 100,000, a body limit of 0 as 1),
     * with a warning; only a value that is not a whole number at all keeps the assumption, with a
     * warning.
     */
    static RouterInfo parse(String body, RouterLimits assumed, ObjectMapper mapper, Consumer<String> warnings) {
        JsonNode root;
        try {
            root = mapper.readTree(body);
        } catch (IOException e) {
            return assumed(assumed);
        }
        if (root == null || !root.isObject()) {
            return assumed(assumed);
        }
        JsonNode limits = root.path("limits");
        RouterLimits result = assumed;
        boolean advertised = false;
        if (limits.isObject()) {
            advertised = true;
            Long history = whole(limits, "max_history_messages", 0, RouterLimits.MAX_HISTORY_MESSAGES, warnings);
            Long query = whole(limits, "max_query_chars", 1, RouterLimits.MAX_QUERY_CODE_POINTS, warnings);
            Long bytes = whole(limits, "max_body_bytes", 1, RouterLimits.MAX_BODY_BYTES, warnings);
            result = new RouterLimits(history != null ? history.intValue() : assumed.maxHistoryMessages(),
                    query != null ? query.intValue() : assumed.maxQueryCodePoints(),
                    bytes != null ? bytes : assumed.maxBodyBytes());
        }
        Optional<Set<String>> agents = Optional.empty();
        JsonNode names = root.path("agent_names");
        if (names.isArray()) {
            Set<String> set = new LinkedHashSet<>();
            names.forEach(n -> {
                if (n.isTextual()) {
                    set.add(n.textValue());
                }
            });
            agents = Optional.of(set);
        }
        return new RouterInfo(result, advertised, agents);
    }

    private static Long whole(JsonNode limits, String field, long min, long max, Consumer<String> warnings) {
        JsonNode node = limits.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isIntegralNumber()) {
            warnings.accept("the router advertises limits." + field + " = " + Text.printable(node.toString())
                    + ", which is not a whole number; assuming the configured value instead");
            return null;
        }
        long value = node.canConvertToLong() ? node.longValue() : node.bigIntegerValue().signum() > 0 ? max : min;
        if (value >= min && value <= max) {
            return value;
        }
        long clamped = Math.max(min, Math.min(max, value));
        warnings.accept("the router advertises limits." + field + " = " + Text.printable(node.toString())
                + ", outside " + min + "-" + max + "; using " + clamped);
        return clamped;
    }

    /** A one-line description for logs and status. */
    String describe() {
        return limits.maxHistoryMessages() + " history messages, " + limits.maxQueryCodePoints() + " query code points, "
                + limits.maxBodyBytes() + " body bytes (" + (advertised ? "advertised" : "assumed") + ")"
                + agents.map(a -> ", " + a.size() + " agents").orElse(", agents not listed");
    }

    /**
     * The current {@link RouterInfo} of one router, replaced by each health answer that says
     * something new (health answers arrive at adoption, readiness and every liveness probe; a
     * change is logged once). Thread-safe.
     */
    static final class Tracker {
        private final String name;
        private final RouterLimits assumed;
        private final ObjectMapper mapper;
        private volatile RouterInfo current;

        Tracker(String name, RouterLimits assumed, ObjectMapper mapper) {
            this.name = name;
            this.assumed = assumed;
            this.mapper = mapper;
            this.current = assumed(assumed);
        }

        RouterInfo current() {
            return current;
        }

        /** Reads one health answer's body (any thread). */
        void update(String healthBody) {
            List<String> warnings = new ArrayList<>(0);
            RouterInfo next = parse(healthBody, assumed, mapper, warnings::add);
            synchronized (this) {
                if (next.equals(current)) {
                    return;
                }
                current = next;
            }
            warnings.forEach(LOG::warn);
            LOG.info("{} accepts {}", name, next.describe());
        }
    }
}
