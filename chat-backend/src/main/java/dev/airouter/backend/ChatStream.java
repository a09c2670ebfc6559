package dev.airouter.backend;

import com.fasterxml.jackson.databind.JsonNode;
import dev.airouter.session.ChatMessage;
import dev.airouter.session.SessionStore;
import io.undertow.server.AbstractServerConnection;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import okio.Utf8;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;
import org.xnio.channels.StreamSinkChannel;

/**
 * One streamed reply of {@code POST /api/chat/stream}, from the router's first event to the end of
 * the exchange. Three parties touch it:
 * <ul>
 *   <li>the <b>pump</b> (a stream thread, {@link #pump()}) reads the router's events, turns them
 *       into the client's, stores the reply and decides how the stream ends;</li>
 *   <li>the exchange's <b>IO thread</b> writes the queued events without ever blocking, watches the
 *       client's side of the connection for its close (also while nothing is written: a client that
 *       leaves while the model thinks is noticed at once), sends heartbeats and enforces the total
 *       duration;</li>
 *   <li>{@link #cancel} (any thread) stops it early: it cancels the router call, which closes the
 *       router connection, which the router passes on to its model.</li>
 * </ul>
 *
 * <p><b>Bounded</b>: events wait in a queue of at most {@code bufferBytes} for a client that reads
 * slowly. One more event would pass the bound: the stream ends instead ({@link End#OVERFLOW}), with an
 * {@code error} event that may pass it (it is small), and the connection is closed if the client has
 * not read everything within the idle timeout. Undertow's own SSE connection queues without bound;
 * this never does.
 *
 * <p><b>Stored before said</b>: the user message and the reply are appended (atomically, as by
 * {@code /api/chat}) and acknowledged before {@code done} is queued; a failed append sends
 * {@code error} instead. A stream that ends early stores the partial reply — an empty one too — with
 * {@code metadata.interrupted: true} and the reason in {@code metadata.interruption}.
 */
final class ChatStream {
    private static final Logger LOG = LoggerFactory.getLogger(ChatStream.class);
    private static final HttpString X_ACCEL_BUFFERING = new HttpString("X-Accel-Buffering");
    private static final byte[] HEARTBEAT = ": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII);

    /** How a stream ended. */
    enum End {
        /** The router sent {@code done}: the whole reply. */
        DONE,
        /** The client closed the connection (Stop, a closed tab): nothing more is sent. */
        CLIENT_GONE,
        /** The client read too slowly: {@code bufferBytes} of events were waiting. */
        OVERFLOW,
        /** The router sent nothing for the idle timeout. */
        IDLE_TIMEOUT,
        /** The stream lasted {@code maxDuration}. */
        TOO_LONG,
        /** The reply reached {@code maxReplyBytes}. */
        REPLY_TOO_LONG,
        /** The router's connection broke, or it ended the stream without {@code done}. */
        ROUTER_FAILED,
        /** The router sent an {@code error} event. */
        ROUTER_ERROR,
        /** The backend is stopping. */
        SHUTDOWN,
        /** A bug in this class: logged with its stack trace. */
        INTERNAL
    }

    private final Json json;
    private final SessionStore store;
    private final RouterHandle router;
    private final Slot slot;
    private final RouterStream upstream;
    private final StreamLimits limits;
    private final String requestId;
    private final String sessionId;
    private final ChatMessage user;
    private final long started;
    private final int historyLength;
    private final boolean historyRead;
    private final String lastReadId;
    private final JsonNode meta;

    // the pump's state (one thread)
    private final StringBuilder reply = new StringBuilder();
    private long replyBytes;
    private int nextId = 1;

    // shared
    private final Queue<ByteBuffer> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong queued = new AtomicLong();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final AtomicReference<End> cancelled = new AtomicReference<>();
    private volatile boolean ending;
    private volatile XnioIoThread io;

    // the IO thread's state
    private HttpServerExchange exchange;
    private StreamSinkChannel sink;
    private org.xnio.conduits.ConduitStreamSourceChannel source;
    private org.xnio.conduits.StreamSourceConduit requestConduit;
    private ByteBuffer current;
    private boolean ended;
    private long lastWrite;
    private XnioExecutor.Key heartbeat;
    private XnioExecutor.Key deadline;
    private XnioExecutor.Key grace;
    private XnioExecutor.Key backstop;
    private final AtomicBoolean released = new AtomicBoolean();
    private volatile boolean routerDone;
    private volatile boolean routerReached = true;

    private final Metrics metrics;
    private final LogContext logContext;

    ChatStream(Json json, SessionStore store, RouterHandle router, Slot slot, RouterStream upstream,
            StreamLimits limits, String requestId, String sessionId, ChatMessage user, long started, int historyLength,
            boolean historyRead, String lastReadId, Metrics metrics, LogContext logContext) {
        this.metrics = metrics;
        this.logContext = logContext;
        this.json = json;
        this.store = store;
        this.router = router;
        this.slot = slot;
        this.upstream = upstream;
        this.limits = limits;
        this.requestId = requestId;
        this.sessionId = sessionId;
        this.user = user;
        this.started = started;
        this.historyLength = historyLength;
        this.historyRead = historyRead;
        this.lastReadId = lastReadId;
        this.meta = upstream.first.data();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("sessionId", sessionId);
        data.put("agent", meta.path("agent").asText(""));
        data.put("confidence", meta.path("confidence").asDouble(0));
        data.put("reasoning", meta.path("reasoning").asText(""));
        data.put("fallbackTriggered", meta.path("fallback_triggered").asBoolean(false));
        enqueue(event("meta", data), true); // written once the exchange is open
    }

    // --- the IO thread ---------------------------------------------------------------------------

    /**
     * Starts the response on the exchange's IO thread, then starts the pump. It runs as a plain task
     * (the endpoint's dispatched task has returned, so the exchange is not "in call"): the resumed
     * writes take effect at once, and nothing ends the exchange when it returns.
     */
    void open(HttpServerExchange exchange, Streams streams) {
        this.exchange = exchange;
        this.io = exchange.getIoThread();
        exchange.setStatusCode(200);
        HeaderMap headers = exchange.getResponseHeaders();
        headers.put(Headers.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        headers.put(Headers.CACHE_CONTROL, "no-cache, no-transform");
        headers.put(X_ACCEL_BUFFERING, "no");
        sink = exchange.getResponseChannel();
        sink.getWriteSetter().set(channel -> flush());
        if (exchange.getConnection() instanceof AbstractServerConnection connection) { // HTTP/1.1: always here
            // The request was read in full, so the connection's source channel still carries the request
            // body's (finished) conduit, on which reads never resume. Watch the socket's own conduit
            // instead until the response ends: what arrives is the client's close (or, rarely, a
            // pipelined request, dropped with the connection after this response).
            source = connection.getChannel().getSourceChannel();
            requestConduit = source.getConduit();
            source.setConduit(connection.getOriginalSourceConduit());
            source.getReadSetter().set(channel -> onClientReadable());
            source.resumeReads();
        }
        lastWrite = System.nanoTime();
        long beat = limits.heartbeat().toMillis();
        heartbeat = io.executeAtInterval(this::heartbeat, beat, TimeUnit.MILLISECONDS);
        deadline = io.executeAfter(() -> cancel(End.TOO_LONG), limits.maxDuration().toMillis(), TimeUnit.MILLISECONDS);
        // a backstop whatever happens to the pump: no exchange outlives its stream's bounds
        backstop = io.executeAfter(() -> {
            if (!ended) {
                LOG.warn("request {}: the stream outlived streamMaxDuration and streamIdleTimeout; closing it", requestId);
                abort();
            }
        }, limits.maxDuration().plus(limits.idleTimeout()).toMillis() + 5000, TimeUnit.MILLISECONDS);
        sink.resumeWrites();
        if (!streams.start(this)) {
            cancelled.compareAndSet(null, End.SHUTDOWN);
            discard();
            end(error(End.SHUTDOWN, "the backend is shutting down; nothing was stored", false));
        }
    }

    /**
     * Cancels and closes the router call and gives its router back, once: the pump does it when it
     * ends, and so does whoever finds that the pump will never run.
     */
    void discard() {
        if (released.compareAndSet(false, true)) {
            if (!routerDone) {
                upstream.cancel();
            }
            upstream.close();
            router.release(slot, routerReached);
        }
    }

    /** Writes what is queued until the client's socket buffer is full; ends the exchange after the last event. */
    private void flush() {
        flushScheduled.set(false);
        if (ended) {
            return;
        }
        try {
            while (true) {
                if (current == null) {
                    current = queue.poll();
                    if (current == null) {
                        break;
                    }
                }
                int length = current.remaining();
                sink.write(current);
                if (current.hasRemaining()) {
                    queued.addAndGet(current.remaining() - length);
                    sink.resumeWrites();
                    return;
                }
                queued.addAndGet(-length);
                lastWrite = System.nanoTime();
                current = null;
            }
            if (!sink.flush()) {
                sink.resumeWrites();
                return;
            }
            sink.suspendWrites();
            if (ending && queue.isEmpty()) {
                finishExchange();
            }
        } catch (IOException e) {
            clientGone("writing to it failed: " + e.getMessage());
        }
    }

    private void onClientReadable() {
        ByteBuffer buffer = ByteBuffer.allocate(256);
        try {
            int n;
            boolean stray = false;
            n = source.read(buffer);
            if (n > 0) {
                stray = true;
            }
            if (n < 0) {
                clientGone("it closed the connection"); // a half-close after the request counts as gone too
            } else if (stray) {
                // a pipelined request (or garbage): dropped with the connection after this stream; stop
                // watching, so that a client sending without end cannot keep an IO thread reading
                exchange.setPersistent(false);
                suspendReads();
            }
        } catch (IOException e) {
            clientGone("its connection failed: " + e.getMessage());
        }
    }

    private void clientGone(String why) {
        if (ended) {
            return;
        }
        if (cancel(End.CLIENT_GONE)) {
            LOG.debug("request {}: the client went away ({}); cancelling the router call", requestId, why);
        }
        abort();
    }

    /** Ends the exchange now, whatever is still queued: the connection is closed. */
    private void abort() {
        if (ended) {
            return;
        }
        ended = true;
        stopTimers();
        suspendReads();
        queue.clear();
        queued.set(0);
        current = null;
        exchange.setPersistent(false);
        IoUtils.safeClose(exchange.getConnection());
        exchange.endExchange();
    }

    /**
     * Everything was written, the last event too: end the response (its last chunk) normally. The
     * grace timer stays until the exchange is complete: a last chunk that a client never reads must
     * not hold the exchange either.
     */
    private void finishExchange() {
        ended = true;
        remove(heartbeat, deadline, backstop);
        suspendReads();
        if (grace == null) {
            grace = graceTimer();
        }
        XnioExecutor.Key last = grace;
        exchange.addExchangeCompleteListener((ex, next) -> {
            last.remove();
            next.proceed();
        });
        exchange.endExchange();
    }

    /** Stops watching the client's side and gives the connection back its request conduit, as Undertow left it. */
    private void suspendReads() {
        if (source != null) {
            source.suspendReads();
            source.getReadSetter().set(null);
            source.setConduit(requestConduit);
            source = null;
        }
    }

    private void stopTimers() {
        remove(heartbeat, deadline, grace, backstop);
    }

    private static void remove(XnioExecutor.Key... timers) {
        for (XnioExecutor.Key key : timers) {
            if (key != null) {
                key.remove();
            }
        }
    }

    private void heartbeat() {
        if (!ended && !ending && current == null && queue.isEmpty()
                && System.nanoTime() - lastWrite >= limits.heartbeat().toNanos() / 2) {
            enqueue(HEARTBEAT, true);
        }
    }

    /** Runs on the IO thread once the last event is queued: a client that does not read it in time is cut off. */
    private void onEnding() {
        if (!ended && grace == null) {
            grace = graceTimer();
        }
        flush();
    }

    private XnioExecutor.Key graceTimer() {
        return io.executeAfter(() -> {
            if (!exchange.isComplete()) {
                LOG.info("request {}: the client did not read the end of its stream within {} ms; closing"
                        + " the connection", requestId, limits.idleTimeout().toMillis());
                if (ended) {
                    IoUtils.safeClose(exchange.getConnection()); // ends the exchange waiting on its last chunk
                } else {
                    abort();
                }
            }
        }, limits.idleTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    // --- any thread ------------------------------------------------------------------------------

    /**
     * Stops the stream early; the first reason wins. The router call is cancelled at once; the pump
     * then stores the partial reply and, unless the client is gone, sends an {@code error} event.
     *
     * @return whether this call decided the reason
     */
    boolean cancel(End reason) {
        if (cancelled.compareAndSet(null, reason)) {
            upstream.cancel();
            return true;
        }
        return false;
    }

    /**
     * Queues an event for the client.
     *
     * @param force queue it even past the bound (the stream's first and last events, heartbeats)
     * @return false when it would pass the bound (nothing was queued)
     */
    private boolean enqueue(byte[] bytes, boolean force) {
        long waiting = queued.get();
        if (!force && waiting > 0 && waiting + bytes.length > limits.bufferBytes()) {
            return false; // one event alone may pass the bound: a client that reads gets it whole
        }
        queued.addAndGet(bytes.length);
        queue.add(ByteBuffer.wrap(bytes));
        scheduleFlush();
        return true;
    }

    private void scheduleFlush() {
        XnioIoThread thread = io;
        if (thread != null && flushScheduled.compareAndSet(false, true)) {
            try {
                thread.execute(this::flush);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                LOG.debug("request {}: the IO threads have stopped; the stream's rest is dropped", requestId);
            }
        }
    }

    private byte[] event(String name, Object data) {
        byte[] body = json.bytes(data);
        byte[] head = ("id: " + nextId++ + "\nevent: " + name + "\ndata: ").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[head.length + body.length + 2];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(body, 0, out, head.length, body.length);
        out[out.length - 2] = '\n';
        out[out.length - 1] = '\n';
        return out;
    }

    // --- the pump --------------------------------------------------------------------------------

    /** Reads the router's events until the stream ends, then stores the reply and ends the stream. */
    void pump() {
        try (LogContext.Scope scope = logContext.open()) {
            pumpEvents();
        }
    }

    private void pumpEvents() {
        End end = null;
        String failure = null;
        JsonNode done = null;
        try {
            while (end == null) {
                End stop = cancelled.get();
                if (stop != null) {
                    end = stop;
                    break;
                }
                RouterStream.Event event = upstream.next();
                if (event == null) {
                    end = End.ROUTER_FAILED;
                    failure = "the router ended the stream before the reply was complete";
                    break;
                }
                switch (event.name()) {
                    case "delta" -> end = delta(event.data().path("text").asText(""));
                    case "done" -> {
                        done = event.data();
                        end = End.DONE;
                    }
                    case "error" -> {
                        end = End.ROUTER_ERROR;
                        failure = Text.printable(event.data().path("error").asText("router error"))
                                + (event.data().path("details").isTextual()
                                        ? ": " + Text.printable(event.data().path("details").asText()) : "");
                    }
                    default -> { } // meta again, or an event this backend does not know: skipped
                }
            }
        } catch (IOException e) {
            End stop = cancelled.get();
            end = stop != null ? stop : e instanceof SocketTimeoutException ? End.IDLE_TIMEOUT : End.ROUTER_FAILED;
            failure = e.getMessage();
            // only a broken connection says the router is gone, not a router that answered something odd
            routerReached = stop != null || e instanceof RouterStream.Malformed || e instanceof SocketTimeoutException;
        } catch (RuntimeException | Error e) {
            LOG.error("request {}: streaming the reply failed", requestId, e);
            end = End.INTERNAL;
        } finally {
            routerDone = end == End.DONE;
            discard();
        }
        try {
            if (end == End.DONE) {
                completed(done);
            } else {
                interrupted(end, failure);
            }
        } catch (RuntimeException | Error e) {
            LOG.error("request {}: ending the stream failed", requestId, e);
            end(error(End.INTERNAL, reason(End.INTERNAL, null), false));
        }
    }

    private End delta(String text) {
        if (text.isEmpty()) {
            return null;
        }
        long size = Utf8.size(text);
        if (replyBytes + size > limits.maxReplyBytes()) {
            return End.REPLY_TOO_LONG;
        }
        reply.append(text);
        replyBytes += size;
        if (!enqueue(event("delta", Map.of("text", text)), false)) {
            reply.setLength(reply.length() - text.length()); // the client never saw it
            replyBytes -= size;
            return cancelled.compareAndSet(null, End.OVERFLOW) ? End.OVERFLOW : cancelled.get();
        }
        return null;
    }

    private Map<String, Object> stamp() {
        return ChatEndpoints.stamp(meta.path("agent").asText(""), meta.path("confidence").asDouble(0),
                meta.path("fallback_triggered").asBoolean(false));
    }

    private void completed(JsonNode done) {
        String message = reply.toString();
        if (done.path("content").isTextual() && !done.path("content").asText().equals(message)) {
            LOG.warn("request {}: the router's done event differs from its deltas ({} vs {} characters); the deltas,"
                    + " which the client saw, are stored", requestId, done.path("content").asText().length(),
                    message.length());
        }
        Map<String, Object> stamp = stamp();
        try {
            storeTurn(ChatMessage.assistant(message).withMetadata(stamp));
        } catch (ApiError e) {
            LOG.warn("request {}: the streamed reply could not be stored: {}", requestId, e.details());
            end(errorBody(e.error(), "the reply was complete but could not be saved, so the conversation does"
                    + " not have it: " + e.details(), false));
            return;
        }
        metrics.turn(true, historyLength);
        end(event("done", ChatEndpoints.answerBody(sessionId, message, stamp,
                done.path("reasoning").asText(meta.path("reasoning").asText("")), started,
                done.path("latency_ms").asDouble(0), historyLength, slot)));
    }

    private void interrupted(End end, String failure) {
        metrics.streamInterrupted(end);
        String partial = reply.toString();
        String why = reason(end, failure);
        Map<String, Object> stamp = stamp();
        stamp.put("interrupted", true);
        stamp.put("interruption", why);
        String unsaved = null;
        try {
            storeTurn(ChatMessage.assistant(partial).withMetadata(stamp));
        } catch (ApiError e) {
            unsaved = e.details();
        }
        if (end == End.CLIENT_GONE) {
            LOG.info("request {}: the client went away after {} characters of the reply; router call cancelled,"
                    + " partial reply {}", requestId, partial.length(), unsaved == null ? "stored" : "NOT stored: " + unsaved);
        } else {
            LOG.info("request {}: the stream ended early after {} characters ({}); partial reply {}", requestId,
                    partial.length(), why, unsaved == null ? "stored" : "NOT stored: " + unsaved);
        }
        String details = why + (unsaved == null ? "; the partial reply was stored, marked interrupted"
                : "; the partial reply could not be stored either: " + unsaved);
        end(error(end, details, unsaved == null));
    }

    /**
     * Stores the user message and the reply. The client has seen the reply, so it is stored even when
     * another turn was stored since this one read the history (another backend, a concurrent request):
     * after that turn, with a warning, since it was answered without it.
     */
    private void storeTurn(ChatMessage reply) {
        List<ChatMessage> turn = List.of(user, reply);
        StoreCalls.call(() -> {
            if (!historyRead) {
                return store.append(sessionId, turn);
            }
            if (store.appendAfter(sessionId, lastReadId, turn).isPresent()) {
                return 0;
            }
            LOG.warn("request {}: session {} changed while the reply streamed (another turn was stored meanwhile);"
                    + " the reply, answered without that turn, is stored after it", requestId, sessionId);
            return store.append(sessionId, turn);
        });
    }

    private byte[] error(End end, String details, boolean stored) {
        return errorBody(switch (end) {
            case OVERFLOW -> "client too slow";
            case IDLE_TIMEOUT -> "router timeout";
            case TOO_LONG -> "stream too long";
            case REPLY_TOO_LONG -> "reply too long";
            case ROUTER_FAILED -> "router failed";
            case ROUTER_ERROR -> "router error";
            case SHUTDOWN -> "server stopping";
            case INTERNAL -> "internal error";
            case CLIENT_GONE, DONE -> "stream ended";
        }, details, stored);
    }

    private byte[] errorBody(String error, String details, boolean interrupted) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", false);
        body.put("error", error);
        body.put("details", details);
        if (interrupted) {
            body.put("interrupted", true);
        }
        return event("error", body);
    }

    private String reason(End end, String failure) {
        return switch (end) {
            case CLIENT_GONE -> "the client went away (stopped)";
            case OVERFLOW -> "the client did not keep up: " + limits.bufferBytes() + " bytes of events were waiting for"
                    + " it (streamBufferBytes)";
            case IDLE_TIMEOUT -> "the router sent nothing for " + limits.idleTimeout().toMillis()
                    + " ms (streamIdleTimeout)";
            case TOO_LONG -> "the reply was still streaming after " + limits.maxDuration().toSeconds()
                    + " s (streamMaxDuration)";
            case REPLY_TOO_LONG -> "the reply reached " + limits.maxReplyBytes() + " bytes (maxReplyBytes)";
            case ROUTER_FAILED -> "the router failed mid-reply"
                    + (failure != null ? " (" + Text.printable(failure) + ")" : "") + "; see its log for request id "
                    + requestId;
            case ROUTER_ERROR -> "the router reported an error mid-reply: " + failure;
            case SHUTDOWN -> "the backend is shutting down";
            case INTERNAL -> "the backend failed unexpectedly; see its log for request id " + requestId;
            case DONE -> "complete";
        };
    }

    /** Queues the stream's last event; the IO thread ends the exchange once it is written. */
    private void end(byte[] last) {
        if (cancelled.get() == End.CLIENT_GONE) {
            return; // the exchange has ended already: there is nobody to tell
        }
        enqueue(last, true); // before ending is set: a flush running now must not end the exchange without it
        ending = true;
        XnioIoThread thread = io;
        if (thread != null) {
            try {
                thread.execute(this::onEnding);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                LOG.debug("request {}: the IO threads have stopped; the stream's last event is dropped", requestId);
            }
        }
    }

    @Override
    public String toString() {
        return "stream of request " + requestId;
    }
}
