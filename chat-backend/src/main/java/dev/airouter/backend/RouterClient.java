package dev.airouter.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls {@code POST /route} on a router (any of the pool's replicas) over one shared OkHttp client.
 *
 * <p>{@code /route} is safe to repeat, by contract: its only lasting effect is the backend's own
 * append, which happens after a reply. So a call whose router died under it (connection refused
 * or reset, the stream ended before a status line) is reported as {@link Unreachable}, and the
 * caller retries it once on another router; running an agent twice after a crash — an LLM call,
 * say — is the accepted cost. A router that is merely slow is not retried (504). OkHttp's own
 * silent retry stays off ({@code retryOnConnectionFailure(false)}): it would re-send without the
 * caller choosing another router. Idle connections are dropped after 10 s, below the router's 15 s
 * idle timeout, and the pool is emptied whenever a router restarts ({@link #evictConnections}) or a
 * call fails. The pool is a {@link QuietConnectionPool}: OkHttp's own wakes a thread after every
 * call. Every response body is closed. Thread-safe.
 *
 * <p>Whose fault: the backend builds every {@code /route} request itself (the user's message is
 * validated, the history fitted into the router's limits, the agent checked against the router's
 * list when it has one), so a 4xx from the router means the backend built something the router
 * refuses. That is logged as an error with the request id and answered 502 — never a 400 that
 * blames the client.
 */
final class RouterClient {
    private static final Logger LOG = LoggerFactory.getLogger(RouterClient.class);
    private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");

    private final OkHttpClient http;
    private final OkHttpClient streaming;
    private final StreamLimits streams;
    private final Json json;
    private final Duration timeout;
    private final QuietConnectionPool pool;
    private final Metrics metrics;

    /**
     * @param http the backend's base client; this one derives its own from it (timeouts, pool)
     * @param metrics where each call's duration and outcome go
     */
    RouterClient(OkHttpClient http, Duration timeout, StreamLimits streams, Json json, Metrics metrics) {
        this.metrics = metrics;
        this.timeout = timeout;
        this.streams = streams;
        this.json = json;
        this.pool = QuietConnectionPool.create(32, Duration.ofSeconds(10));
        this.http = http.newBuilder()
                .connectTimeout(Duration.ofSeconds(2))
                .readTimeout(timeout)
                .writeTimeout(timeout)
                .callTimeout(timeout)
                .retryOnConnectionFailure(false)
                .followRedirects(false)
                .protocols(List.of(Protocol.HTTP_1_1))
                .connectionPool(pool.pool())
                .build();
        // a stream has no whole-call timeout (ChatStream caps its duration): the router may stay
        // silent for the idle timeout between events, no longer
        this.streaming = this.http.newBuilder()
                .readTimeout(streams.idleTimeout())
                .callTimeout(Duration.ZERO)
                .build();
    }

    /** One turn of earlier conversation, as the router expects it. */
    record Turn(String role, String content) {}

    /** The router's answer. */
    record Answer(String agent, double confidence, String content, String reasoning, boolean fallbackTriggered,
            double routerLatencyMs) {}

    /** The router could not be reached, or the connection broke before it answered: retry elsewhere. */
    static final class Unreachable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unreachable(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    /**
     * Routes one query on one router.
     *
     * @throws Unreachable when the router cannot be reached or the connection broke before an answer
     * @throws ApiError 503 (router busy), 504 (timeout), 502 (the router refused the request the
     *     backend built, failed, or answered nonsense)
     */
    Answer route(Slot slot, String query, String sessionId, List<Turn> history, String agent, String requestId,
            String traceparent) {
        Request request = request(slot, query, sessionId, history, agent, requestId, traceparent, false);
        long started = System.nanoTime();
        String outcome = "5xx";
        try (Response response = http.newCall(request).execute()) {
            ResponseBody responseBody = response.body();
            byte[] bytes = responseBody.bytes();
            double millis = (System.nanoTime() - started) / 1_000_000.0;
            outcome = statusOutcome(response.code());
            Answer answer = answer(response.code(), bytes, millis, requestId);
            outcome = "ok";
            return answer;
        } catch (ConnectException e) {
            outcome = "retried";
            evictConnections();
            throw new Unreachable("cannot connect to the router at " + slot.url + " (" + e.getMessage() + ")", e);
        } catch (InterruptedIOException e) {
            outcome = "timeout";
            evictConnections();
            throw new ApiError(504, "router timeout", "the router did not answer within " + timeout.toMillis()
                    + " ms (routerTimeout)");
        } catch (IOException e) {
            outcome = "retried";
            evictConnections();
            throw new Unreachable("the connection to the router at " + slot.url + " failed: " + e.getMessage(), e);
        } finally {
            metrics.routerCall(slot.index, outcome, System.nanoTime() - started);
        }
    }

    /** The outcome of an answer with this status if it turns out not to be a valid answer: {@code 4xx} or {@code 5xx}. */
    private static String statusOutcome(int status) {
        return status >= 400 && status < 500 ? "4xx" : "5xx";
    }

    /**
     * Starts a streamed {@code /route} call on one router and reads its first event ({@code meta}),
     * so that everything that can go wrong before a byte reaches the client is still an ordinary
     * error: the caller can retry elsewhere or answer with a status.
     *
     * @return the stream, its first event already read (the first {@link RouterStream#next()})
     * @throws Unreachable when the router cannot be reached, or the connection broke (or the stream
     *     ended) before the first event: nothing was sent, retry elsewhere
     * @throws ApiError 503 (router busy), 504 (no first event within the idle timeout), 502 (the
     *     router refused the request, failed, or sent something that is not an event stream)
     */
    RouterStream openStream(Slot slot, String query, String sessionId, List<Turn> history, String agent,
            String requestId, String traceparent) {
        Request request = request(slot, query, sessionId, history, agent, requestId, traceparent, true);
        long started = System.nanoTime();
        okhttp3.Call call = streaming.newCall(request);
        String[] outcome = {"5xx"};
        try {
            RouterStream opened = openStream(slot, call, started, requestId, outcome);
            outcome[0] = "ok";
            return opened;
        } finally {
            metrics.routerCall(slot.index, outcome[0], System.nanoTime() - started);
        }
    }

    private RouterStream openStream(Slot slot, okhttp3.Call call, long started, String requestId, String[] outcome) {
        Response response = null;
        try {
            response = call.execute();
            outcome[0] = statusOutcome(response.code());
            String type = response.header("Content-Type", "");
            if (response.code() != 200 || !type.toLowerCase(java.util.Locale.ROOT).startsWith("text/event-stream")) {
                // an error, or a router that predates streaming and answered in one piece
                byte[] bytes = response.body().bytes();
                response.close();
                Answer answer = answer(response.code(), bytes, (System.nanoTime() - started) / 1_000_000.0, requestId);
                return RouterStream.ofEvents(asEvents(answer));
            }
            // a done event carries the whole reply as JSON: up to 6 bytes per reply byte when escaped
            RouterStream stream = RouterStream.of(call, response, json, 6L * streams.maxReplyBytes() + 64 * 1024);
            RouterStream.Event first;
            try {
                first = stream.next();
            } catch (RouterStream.Malformed e) {
                stream.cancel();
                stream.close();
                throw new ApiError(502, "router failed", "the router's stream did not start with an event: "
                        + e.getMessage());
            } catch (IOException e) {
                stream.cancel();
                stream.close();
                throw e;
            }
            if (first == null) {
                outcome[0] = "retried";
                stream.close();
                throw new Unreachable("the router at " + slot.url + " ended the stream before its first event", null);
            }
            if (first.name().equals("error")) {
                stream.close();
                throw new ApiError(502, "router failed", "the router answered with an error before any reply: "
                        + Text.printable(first.data().path("error").asText("?"))
                        + (first.data().path("details").isTextual()
                                ? " (" + Text.printable(first.data().path("details").asText()) + ")" : "")
                        + "; see its log for request id " + requestId);
            }
            stream.first = first;
            return stream;
        } catch (ConnectException e) {
            outcome[0] = "retried";
            evictConnections();
            throw new Unreachable("cannot connect to the router at " + slot.url + " (" + e.getMessage() + ")", e);
        } catch (InterruptedIOException e) {
            outcome[0] = "timeout";
            call.cancel();
            throw new ApiError(504, "router timeout", "the router did not start its reply within "
                    + streams.idleTimeout().toMillis() + " ms (streamIdleTimeout)");
        } catch (IOException e) {
            outcome[0] = "retried";
            call.cancel();
            evictConnections();
            throw new Unreachable("the connection to the router at " + slot.url + " failed: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            if (response != null) {
                response.close();
            }
            throw e;
        }
    }

    /** A one-piece answer as the events a streaming router would have sent. */
    private List<RouterStream.Event> asEvents(Answer answer) {
        ObjectNode meta = json.mapper().createObjectNode();
        meta.put("agent", answer.agent());
        meta.put("confidence", answer.confidence());
        meta.put("reasoning", answer.reasoning());
        meta.put("fallback_triggered", answer.fallbackTriggered());
        ObjectNode delta = json.mapper().createObjectNode().put("text", answer.content());
        ObjectNode done = meta.deepCopy();
        done.put("success", true);
        done.put("content", answer.content());
        done.put("latency_ms", answer.routerLatencyMs());
        return answer.content().isEmpty()
                ? List.of(new RouterStream.Event("meta", meta), new RouterStream.Event("done", done))
                : List.of(new RouterStream.Event("meta", meta), new RouterStream.Event("delta", delta),
                        new RouterStream.Event("done", done));
    }

    private Request request(Slot slot, String query, String sessionId, List<Turn> history, String agent,
            String requestId, String traceparent, boolean stream) {
        ObjectNode body = json.mapper().createObjectNode();
        body.put("query", query);
        body.put("session_id", sessionId);
        ArrayNode turns = body.putArray("history");
        for (Turn t : history) {
            turns.addObject().put("role", t.role()).put("content", t.content());
        }
        if (agent != null) {
            body.put("agent", agent);
        }
        if (stream) {
            body.put("stream", true);
        }
        Request.Builder request = new Request.Builder().url(slot.routeUrl)
                .header("X-Request-Id", requestId)
                .header(TraceContext.HEADER, traceparent)
                .post(RequestBody.create(json.bytes(body), JSON));
        if (stream) {
            request.header("Accept", "text/event-stream");
        }
        return request.build();
    }

    private Answer answer(int status, byte[] bytes, double millis, String requestId) {
        JsonNode node;
        try {
            node = json.mapper().readTree(bytes);
        } catch (IOException e) {
            node = null;
        }
        String reason = node != null && node.path("error").isTextual() ? node.path("error").asText() : null;
        if (status == 429) {
            throw ApiError.unavailable("router busy", "the router answered HTTP 429 (too many requests)"
                    + (reason != null ? ": " + Text.printable(reason) : "") + "; retry in a moment");
        }
        if (status >= 400 && status < 500) {
            String why = "HTTP " + status + (reason != null ? ": " + reason : "");
            LOG.error("the router refused a request the backend built (request id {}): {}", requestId,
                    Text.printable(why));
            throw new ApiError(502, "router rejected the request", "the router refused the request the backend"
                    + " built for it (" + why + "); this is a fault of the backend or the router, not of your"
                    + " request; the backend log has request id " + requestId);
        }
        if (status != 200 || node == null || !node.path("content").isTextual()) {
            throw new ApiError(502, "router failed", "the router answered HTTP " + status + " to POST /route"
                    + (reason != null ? ": " + reason : " without a valid answer") + "; see its log");
        }
        return new Answer(node.path("agent").asText(""), node.path("confidence").asDouble(0),
                node.path("content").asText(), node.path("reasoning").asText(""),
                node.path("fallback_triggered").asBoolean(false), Math.round(millis * 10) / 10.0);
    }

    void evictConnections() {
        http.connectionPool().evictAll();
    }

    void close() {
        pool.close();
    }
}
