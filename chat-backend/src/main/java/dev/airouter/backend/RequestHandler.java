package dev.airouter.backend;

import com.fasterxml.jackson.databind.JsonNode;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The root handler. On the IO thread it does only cheap work: request id, access log, CORS,
 * routing (404/405/OPTIONS), the non-blocking body read, then admission. The endpoint itself — store
 * and router calls, which block — runs on the worker pool.
 *
 * <p><b>Admission</b>: at most {@code maxInFlight} API requests are past admission at once (queued
 * for a worker or running); the next one is answered 503 at once instead of growing a backlog. A
 * permit is released when the exchange completes, however it ends. Health and status reports are
 * not counted, so monitoring still works when the backend is saturated.
 */
final class RequestHandler implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(RequestHandler.class);
    private static final io.undertow.util.HttpString TRACEPARENT = new io.undertow.util.HttpString(TraceContext.HEADER);

    private final RouteTable routes;
    private final Cors cors;
    private final BodyReader bodies;
    private final Responses responses;
    private final Json json;
    private final ExecutorService workers;
    private final Semaphore inFlight;
    private final int maxInFlight;
    private final Streams streams;
    private final Metrics metrics;

    RequestHandler(RouteTable routes, Cors cors, BodyReader bodies, Responses responses, Json json,
            ExecutorService workers, int maxInFlight, Streams streams, Metrics metrics) {
        this.streams = streams;
        this.metrics = metrics;
        this.routes = routes;
        this.cors = cors;
        this.bodies = bodies;
        this.responses = responses;
        this.json = json;
        this.workers = workers;
        this.maxInFlight = maxInFlight;
        this.inFlight = new Semaphore(maxInFlight);
    }

    int inFlight() {
        return maxInFlight - inFlight.availablePermits();
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        long started = System.nanoTime();
        metrics.requestStarted();
        String requestId = RequestIds.acceptOrCreate(exchange.getRequestHeaders().getFirst(Responses.X_REQUEST_ID));
        TraceContext trace = TraceContext.acceptOrStart(exchange.getRequestHeaders().getFirst(TRACEPARENT));
        exchange.putAttachment(Call.TRACE, trace);
        exchange.getResponseHeaders().put(Responses.X_REQUEST_ID, requestId);
        exchange.getResponseHeaders().put(TRACEPARENT, trace.header());
        exchange.addExchangeCompleteListener(AccessLog.listener(started, requestId, metrics));
        cors.apply(exchange);
        try {
            RouteTable.Match match = routes.match(exchange.getRequestMethod(), exchange.getRequestPath(), allow -> {
                cors.preflight(exchange, allow);
                responses.send(exchange, Reply.noContent());
            }, template -> exchange.putAttachment(AccessLog.ROUTE, template));
            if (match == null) {
                return; // OPTIONS answered
            }
            if (match.hasBody()) {
                // Admission only once the whole body is here: a client that stalls mid-body must hold
                // a connection (bounded by the body read timeout), never a slot other clients need.
                bodies.read(exchange, body -> {
                    try {
                        if (match.limited()) {
                            admit(exchange);
                        }
                    } catch (ApiError e) {
                        responses.error(exchange, e);
                        return;
                    }
                    dispatch(exchange, match, requestId, body);
                });
            } else {
                if (match.limited()) {
                    admit(exchange);
                }
                dispatch(exchange, match, requestId, null);
            }
        } catch (ApiError e) {
            responses.error(exchange, e);
        }
    }

    private void admit(HttpServerExchange exchange) {
        if (!inFlight.tryAcquire()) {
            throw ApiError.unavailable("server busy", maxInFlight + " requests are already in flight (the"
                    + " maxInFlight limit); retry shortly");
        }
        exchange.addExchangeCompleteListener((ex, next) -> {
            inFlight.release();
            next.proceed();
        });
    }

    private void dispatch(HttpServerExchange exchange, RouteTable.Match match, String requestId, byte[] body) {
        // health and status run on XNIO's small task pool, so a saturated worker pool cannot hide them
        java.util.concurrent.Executor executor = match.limited() ? workers : exchange.getConnection().getWorker();
        try {
            exchange.dispatch(executor, () -> run(exchange, match, requestId, body));
        } catch (RejectedExecutionException e) {
            responses.error(exchange, ApiError.unavailable("server stopping", "the backend is shutting down"));
        }
    }

    private void run(HttpServerExchange exchange, RouteTable.Match match, String requestId, byte[] body) {
        TraceContext trace = exchange.getAttachment(Call.TRACE);
        try (LogContext.Scope scope = new LogContext(requestId, trace.traceId(), null).open()) {
            respond(exchange, match, requestId, body);
        }
    }

    private void respond(HttpServerExchange exchange, RouteTable.Match match, String requestId, byte[] body) {
        Responses.Rendered rendered;
        try {
            JsonNode parsed = body == null ? json.mapper().createObjectNode() : json.parseObject(body);
            Reply reply = match.endpoint().handle(new Call(exchange, requestId, parsed, match.parameters()));
            if (reply.stream() != null) {
                open(exchange, reply.stream(), requestId);
                return;
            }
            rendered = responses.render(reply);
        } catch (ApiError e) {
            rendered = responses.render(Responses.errorReply(e));
        } catch (RuntimeException | LinkageError | AssertionError e) {
            // a bug, never client input: log it once, and still answer so the client is not left hanging
            LOG.error("internal error on {} {} (request id {})", exchange.getRequestMethod(),
                    Text.printable(exchange.getRequestPath()), requestId, e);
            rendered = responses.render(Responses.errorReply(new ApiError(500, "internal error",
                    "the backend failed unexpectedly; see its log for request id " + requestId)));
        }
        // written on the IO thread, which then re-arms the connection without a cross-thread hand-over
        // (see Responses); this task runs outside Undertow's handler call, so dispatch() hands the
        // write to the IO thread at once
        Responses.Rendered answer = rendered;
        try {
            exchange.dispatch(exchange.getIoThread(), () -> write(exchange, answer, requestId));
        } catch (RejectedExecutionException e) {
            // the IO threads have stopped: the drain time ran out and the server closed this connection
            LOG.debug("answer to request {} dropped: the server has stopped", requestId);
        }
    }

    /** A streamed reply is written by its IO thread from the start: headers, events, heartbeats. */
    private void open(HttpServerExchange exchange, ChatStream stream, String requestId) {
        try {
            exchange.dispatch(exchange.getIoThread(), () -> {
                try {
                    stream.open(exchange, streams);
                } catch (RuntimeException | LinkageError | AssertionError e) {
                    LOG.error("internal error opening the stream of request {}", requestId, e);
                    stream.cancel(ChatStream.End.INTERNAL);
                    stream.discard();
                    exchange.setPersistent(false);
                    org.xnio.IoUtils.safeClose(exchange.getConnection());
                    exchange.endExchange();
                }
            });
        } catch (RejectedExecutionException e) {
            stream.cancel(ChatStream.End.SHUTDOWN);
            stream.discard();
            LOG.debug("stream of request {} dropped: the server has stopped", requestId);
        }
    }

    /**
     * Writes on the IO thread. Nothing up the IO thread's stack would answer the client if this
     * threw, and the in-flight permit is only released when the exchange ends, so a failure here
     * (a bug) still ends the exchange.
     */
    private void write(HttpServerExchange exchange, Responses.Rendered answer, String requestId) {
        try {
            responses.write(exchange, answer);
        } catch (RuntimeException | LinkageError | AssertionError e) {
            LOG.error("internal error writing the answer to {} {} (request id {})", exchange.getRequestMethod(),
                    Text.printable(exchange.getRequestPath()), requestId, e);
            if (!exchange.isResponseStarted()) {
                exchange.getResponseHeaders().clear();
                exchange.setStatusCode(500);
                exchange.setResponseContentLength(0);
            }
            exchange.setPersistent(false);
            exchange.endExchange();
        }
    }
}
