package dev.airouter.backend;

import com.fasterxml.jackson.databind.JsonNode;
import dev.airouter.session.ChatMessage;
import dev.airouter.session.Session;
import dev.airouter.session.SessionIds;
import dev.airouter.session.SessionStats;
import dev.airouter.session.SessionStore;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chat and session endpoints. All run on worker threads and may block on the store (bounded by
 * its command timeout) and the router (bounded by {@code routerTimeout}).
 */
final class ChatEndpoints {
    private static final Logger LOG = LoggerFactory.getLogger(ChatEndpoints.class);
    private final SessionStore store;
    private final RouterHandle router;
    private final RouterClient client;
    private final int maxMessageCodePoints;
    private final Json json;
    private final StreamLimits streamLimits;

    private final Metrics metrics;

    ChatEndpoints(SessionStore store, RouterHandle router, RouterClient client, int maxMessageCodePoints, Json json,
            StreamLimits streamLimits, Metrics metrics) {
        this.metrics = metrics;
        this.store = store;
        this.router = router;
        this.client = client;
        this.maxMessageCodePoints = maxMessageCodePoints;
        this.json = json;
        this.streamLimits = streamLimits;
    }

    /** A chat request checked and ready to route. */
    private record Prepared(ChatRequest request, String sessionId, ChatMessage user) {}

    /** Validates a chat request: the message against the routers' limits, the agent against their list. */
    private Prepared prepare(Call call) {
        RouterInfo info = router.info();
        int longest = info.maxMessageCodePoints(maxMessageCodePoints);
        if (longest < 1) {
            throw new ApiError(502, "router limits too small", "the router advertises a body limit of "
                    + info.limits().maxBodyBytes() + " bytes, too small for any chat message; fix its limits");
        }
        ChatRequest request = ChatRequest.parse(call.body(), longest);
        String sessionId = request.sessionId() != null ? request.sessionId() : SessionIds.random();
        call.noteSession(sessionId);
        checkAgent(request.agent(), info);
        return new Prepared(request, sessionId, ChatMessage.user(request.message()));
    }

    /**
     * The tail of the history a router can take (none for a session id made up just now), and
     * whether it was read: a reply computed from a read history is stored only if the session has not
     * changed since ({@link SessionStore#appendAfter}).
     */
    private record History(List<ChatMessage> messages, boolean read) {
        String lastId() {
            return messages.isEmpty() ? null : messages.get(messages.size() - 1).id();
        }

        /**
         * Stores the turn: conditionally when the history was read and {@code conditional}; false if the
         * session changed meanwhile (nothing stored).
         */
        boolean store(SessionStore store, String sessionId, List<ChatMessage> turn, boolean conditional) {
            if (!read || !conditional) {
                StoreCalls.call(() -> store.append(sessionId, turn));
                return true;
            }
            return StoreCalls.call(() -> store.appendAfter(sessionId, lastId(), turn)).isPresent();
        }
    }

    /** Loads the tail of the history a router can take (none for a session id made up just now). */
    private History history(Slot slot, Prepared p) {
        int tail = slot.info.current().limits().maxHistoryMessages();
        return p.request().useHistory() && p.request().sessionId() != null && tail > 0
                ? new History(StoreCalls.call(() -> store.load(p.sessionId(), tail)).map(Session::messages)
                        .orElse(List.of()), true)
                : new History(List.of(), false);
    }

    /**
     * Runs one router call on a chosen router, and once more on another router when the first died
     * under it ({@code /route} is safe to repeat: its only lasting effect is the append that follows).
     * The router the call succeeded on stays acquired: the caller releases it.
     */
    private <T> T onRouter(Slot[] slot, String requestId, java.util.function.Function<Slot, T> attempt) {
        try {
            return attempt.apply(slot[0]);
        } catch (RouterClient.Unreachable first) {
            Slot failed = slot[0];
            slot[0] = null;
            router.release(failed, false);
            try {
                slot[0] = router.acquire(failed);
            } catch (ApiError none) {
                throw ApiError.unavailable("router unavailable", first.getMessage() + "; " + none.details());
            }
            LOG.info("request {}: {}; retrying on {}", requestId, first.getMessage(), slot[0]);
            try {
                return attempt.apply(slot[0]);
            } catch (RouterClient.Unreachable second) {
                Slot also = slot[0];
                slot[0] = null;
                router.release(also, false);
                throw ApiError.unavailable("router unavailable", first.getMessage() + "; retried on " + also.url
                        + ": " + second.getMessage() + "; the routers may be restarting");
            }
        }
    }

    /**
     * {@code POST /api/chat/stream}: as {@link #chat}, up to the router's first event ({@code meta}):
     * until then every failure is an ordinary JSON error with its status, and a router that died
     * before sending anything is retried on another. Then the reply streams as Server-Sent Events
     * ({@link ChatStream}).
     */
    Reply stream(Call call) {
        long started = System.nanoTime();
        Prepared p = prepare(call);
        Slot[] slot = {router.acquire(null)}; // 503 at once when no router is ready
        try {
            History read = history(slot[0], p);
            List<ChatMessage> stored = read.messages();
            int[] historyLength = new int[1];
            RouterStream upstream = onRouter(slot, call.requestId(), s -> {
                List<RouterClient.Turn> history = RouteBudget.fit(stored, s.info.current().limits(),
                        p.request().message(), p.sessionId(), p.request().agent());
                historyLength[0] = history.size();
                try {
                    return client.openStream(s, p.request().message(), p.sessionId(), history, p.request().agent(),
                            call.requestId(), call.traceparent());
                } catch (ApiError e) {
                    if (e.status() == 502) {
                        router.refreshInfo(s);
                    }
                    throw e;
                }
            });
            ChatStream stream;
            try {
                stream = new ChatStream(json, store, router, slot[0], upstream, streamLimits, call.requestId(),
                        p.sessionId(), p.user(), started, historyLength[0], read.read(), read.lastId(), metrics,
                        call.logContext());
            } catch (RuntimeException | Error e) {
                upstream.cancel();
                upstream.close();
                throw e;
            }
            slot[0] = null; // the stream releases it
            return Reply.streaming(stream);
        } finally {
            if (slot[0] != null) {
                router.release(slot[0], true);
            }
        }
    }

    /**
     * {@code POST /api/chat}: validate (the message against the routers' limits too, the agent
     * against their agent list when they advertise one), choose a router (least outstanding
     * requests; 503 at once when none is ready), load only the tail of the history it can take, fit
     * it into its limits, route (once more on another router if this one died under the call), then
     * append the user message and the reply in one atomic append.
     */
    Reply chat(Call call) {
        long started = System.nanoTime();
        Prepared p = prepare(call);
        ChatRequest request = p.request();
        String sessionId = p.sessionId();
        ChatMessage user = p.user();
        for (int attempt = 1; ; attempt++) {
            // the first answer may come from a cached history that an invalidation had not yet reached: it is
            // stored only if the session is unchanged; the second reads the store afresh, after this request
            // began, so what it stores has seen every turn acknowledged before — a turn stored meanwhile is a
            // concurrent one, and both are kept
            Slot[] slot = {router.acquire(null)}; // 503 at once when no router is ready
            Routed routed;
            History history;
            try {
                history = history(slot[0], p);
                List<ChatMessage> stored = history.messages();
                routed = onRouter(slot, call.requestId(), s -> call(s, request, sessionId, stored, call.requestId(),
                        call.traceparent()));
            } finally {
                if (slot[0] != null) {
                    router.release(slot[0], true);
                }
            }
            RouterClient.Answer answer = routed.answer();
            Map<String, Object> stamp = stamp(answer.agent(), answer.confidence(), answer.fallbackTriggered());
            ChatMessage reply = ChatMessage.assistant(answer.content()).withMetadata(stamp);
            if (history.store(store, sessionId, List.of(user, reply), attempt == 1)) {
                metrics.turn(false, routed.historyLength());
                return Reply.ok(answerBody(sessionId, answer.content(), stamp, answer.reasoning(), started,
                        answer.routerLatencyMs(), routed.historyLength(), routed.slot()));
            }
            // another turn was stored since this one read the history (another backend, a concurrent
            // request): this reply may not have seen it, so it is answered again from the store
            LOG.debug("request {}: session {} changed while answering; answering again", call.requestId(), sessionId);
        }
    }

    /** The metadata stored with a reply: which agent answered, how sure it was. */
    static Map<String, Object> stamp(String agent, double confidence, boolean fallbackTriggered) {
        Map<String, Object> stamp = new LinkedHashMap<>();
        stamp.put("agent", agent);
        stamp.put("confidence", confidence);
        stamp.put("fallbackTriggered", fallbackTriggered);
        return stamp;
    }

    /**
     * The body of a chat answer, the one {@code POST /api/chat} answers and a stream's {@code done}
     * event carries: {@code {success, message, sessionId, metadata}}.
     */
    static Map<String, Object> answerBody(String sessionId, String message, Map<String, Object> stamp, String reasoning,
            long startedNanos, double routerLatencyMs, int historyLength, Slot slot) {
        Map<String, Object> metadata = new LinkedHashMap<>(stamp);
        metadata.put("reasoning", reasoning);
        metadata.put("processingTime", Math.round((System.nanoTime() - startedNanos) / 100_000.0) / 10.0);
        metadata.put("routerLatencyMs", routerLatencyMs);
        metadata.put("historyLength", historyLength);
        metadata.put("routerReplica", slot.index);
        metadata.put("routerGeneration", slot.generation);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", true);
        body.put("message", message);
        body.put("sessionId", sessionId);
        body.put("metadata", metadata);
        return body;
    }

    /** What a {@code /route} call came back with, and from which router. */
    private record Routed(RouterClient.Answer answer, Slot slot, int historyLength) {}

    /**
     * One {@code /route} call on one router, with the history fitted to that router's limits.
     *
     * @throws RouterClient.Unreachable when the router died under the call (the caller retries elsewhere)
     */
    private Routed call(Slot slot, ChatRequest request, String sessionId, List<ChatMessage> stored, String requestId,
            String traceparent) {
        List<RouterClient.Turn> history = RouteBudget.fit(stored, slot.info.current().limits(), request.message(),
                sessionId, request.agent());
        try {
            return new Routed(client.route(slot, request.message(), sessionId, history, request.agent(), requestId,
                    traceparent), slot, history.size());
        } catch (ApiError e) {
            if (e.status() == 502) {
                router.refreshInfo(slot); // a router this backend does not run may have changed its limits
            }
            throw e;
        }
    }

    /**
     * A user's own field: an agent the router does not list is their mistake (400) — once the list
     * is known to be current (a router this backend does not run may have changed since it was
     * read). A router that lists no agents cannot be checked here; its refusal then comes back as a
     * 502 with its reason.
     */
    private RouterInfo checkAgent(String agent, RouterInfo info) {
        if (agent == null || info.agents().isEmpty() || info.agents().get().contains(agent)) {
            return info;
        }
        RouterInfo fresh = router.refreshInfo(null);
        if (fresh.agents().isEmpty() || fresh.agents().get().contains(agent)) {
            return fresh;
        }
        throw ApiError.badRequest("unknown agent", "unknown agent '" + Text.printable(agent) + "'; valid agents: "
                + String.join(", ", fresh.agents().get()) + " (or \"auto\" to let the router choose)");
    }

    /** {@code GET /api/sessions/{id}}. */
    Reply getSession(Call call) {
        String id = pathSessionId(call);
        Session session = StoreCalls.call(() -> store.load(id)).orElseThrow(() -> notFound(id));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("sessionId", session.id());
        List<Map<String, Object>> messages = new ArrayList<>();
        for (ChatMessage m : session.messages()) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("id", m.id());
            out.put("role", m.role());
            out.put("content", m.content());
            out.put("timestamp", iso(m.timestamp()));
            if (!m.metadata().isEmpty()) {
                out.put("metadata", m.metadata());
            }
            messages.add(out);
        }
        body.put("messages", messages);
        body.put("createdAt", iso(session.createdAt()));
        body.put("updatedAt", iso(session.updatedAt()));
        return Reply.ok(body);
    }

    /** {@code DELETE /api/sessions/{id}}: 204, or 404 when unknown. */
    Reply deleteSession(Call call) {
        String id = pathSessionId(call);
        if (!StoreCalls.call(() -> store.delete(id))) {
            throw notFound(id);
        }
        return Reply.noContent();
    }

    /** {@code POST /api/chat/clear {sessionId}}: {@code {success:true}}, or 404 when unknown. */
    Reply clear(Call call) {
        JsonNode node = call.body().get("sessionId");
        if (node == null || node.isNull() || !node.isTextual()) {
            throw ApiError.badRequest("invalid sessionId", "'sessionId' is required and must be a string, got "
                    + Json.type(node) + "; e.g. {\"sessionId\":\"my-session-1\"}");
        }
        String id = node.textValue();
        if (!SessionIds.isValid(id)) {
            throw ApiError.badRequest("invalid sessionId", "'sessionId' must be " + SessionIds.RULE);
        }
        call.noteSession(id);
        if (!StoreCalls.call(() -> store.delete(id))) {
            throw notFound(id);
        }
        return Reply.ok(Map.of("success", true));
    }

    /** {@code GET /api/chat/stats}. */
    Reply stats(Call call) {
        SessionStats stats = StoreCalls.call(store::stats);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", true);
        body.put("backend", stats.backend());
        body.put("sessions", stats.sessions());
        body.put("hits", stats.hits());
        body.put("misses", stats.misses());
        body.put("appends", stats.appends());
        body.put("expirations", stats.expirations());
        body.put("evictions", stats.evictions());
        return Reply.ok(body);
    }

    private static String pathSessionId(Call call) {
        String id = call.pathParameter("id"); // validated by the route table
        call.noteSession(id);
        return id;
    }

    private static ApiError notFound(String id) {
        return new ApiError(404, "session not found", "no session " + id
                + " (it never existed, was deleted, or expired after inactivity)");
    }

    static String iso(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MILLIS).toString();
    }
}
