package dev.airouter.backend;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.handlers.HttpContinueReadHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Xnio;
import org.xnio.XnioWorker;

/**
 * The Undertow server. Its XNIO worker (the IO threads) is created by {@link #createWorker()}
 * while the router starts, so that {@link #start} only binds the port: listening follows router
 * readiness within milliseconds.
 *
 * <p>Settings that matter: {@code MAX_ENTITY_SIZE} is set explicitly (Undertow 2.4.4 otherwise caps
 * bodies at 2 MiB and may drop the connection instead of answering). Our own limit is enforced
 * before reading (see {@link BodyReader}); Undertow's is set well above it so that after our 413
 * it can still read and discard a moderately oversized body and the client reliably receives the
 * answer, while a huge one is cut off. {@code TCP_NODELAY} is on.
 *
 * <p>Stop: in-flight exchanges get up to the drain timeout to finish while new requests are
 * answered 503 ({@link Drain}), then the server stops and closes its port and connections.
 */
final class ApiServer {
    private final XnioWorker worker;
    private final Undertow undertow;
    private final Drain drain;
    private volatile HttpHandler handler;

    /** Creates the IO threads (two; blocking work runs on the backend's own pool, not XNIO's). */
    static XnioWorker createWorker() {
        try {
            return Xnio.getInstance(Undertow.class.getClassLoader()).createWorker(OptionMap.builder()
                    .set(Options.WORKER_NAME, "airouter-backend")
                    .set(Options.WORKER_IO_THREADS, 2)
                    .set(Options.WORKER_TASK_CORE_THREADS, 1)
                    .set(Options.WORKER_TASK_MAX_THREADS, 2)
                    .set(Options.CONNECTION_HIGH_WATER, 1_000_000)
                    .set(Options.CONNECTION_LOW_WATER, 1_000_000)
                    .set(Options.TCP_NODELAY, true)
                    .set(Options.CORK, true)
                    .getMap());
        } catch (IOException e) {
            throw new BackendException("cannot create the HTTP server's IO threads: " + e.getMessage(), e);
        }
    }

    /** Builds the server around the given IO threads; the handler comes with {@link #start}. */
    ApiServer(XnioWorker worker, String host, int port, long maxBodyBytes, Responses responses) {
        this.worker = worker;
        // HttpContinueReadHandler sends "100 Continue" only when the body is actually read, so a client
        // that sent Expect: 100-continue does not wait a second for it, and a refused body is never sent
        this.drain = new Drain(new HttpContinueReadHandler(exchange -> handler.handleRequest(exchange)), responses);
        this.undertow = Undertow.builder()
                .setWorker(worker)
                .addHttpListener(port, host)
                .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, Math.max(maxBodyBytes * 8, 8L * 1024 * 1024))
                .setServerOption(UndertowOptions.ALWAYS_SET_DATE, true)
                .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, 60_000)
                .setServerOption(UndertowOptions.REQUEST_PARSE_TIMEOUT, 30_000)
                .setSocketOption(Options.TCP_NODELAY, true)
                .setHandler(drain)
                .build();
    }

    /**
     * Binds and starts listening.
     *
     * @throws BackendException if the address cannot be bound (port in use, bad host)
     */
    void start(String host, int port, HttpHandler requestHandler) {
        this.handler = requestHandler;
        try {
            undertow.start();
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() instanceof IOException ? e.getCause() : e;
            throw new BackendException("cannot listen on " + host + ":" + port + ": " + cause.getMessage()
                    + (port != 0 ? "; is another backend running? Stop it or choose another port (0 = any free port)"
                    : ""), e);
        }
    }

    /** Ends the IO threads (Undertow leaves a worker it was given running). */
    static void shutDown(XnioWorker worker) {
        worker.shutdown();
        try {
            if (!worker.awaitTermination(2, java.util.concurrent.TimeUnit.SECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    int port() {
        return ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
    }

    /**
     * Answers new requests 503, waits for in-flight ones up to {@code timeout}, then stops the server.
     *
     * @return whether every in-flight request finished within the drain time
     */
    boolean stop(Duration timeout) {
        boolean drained = true;
        try {
            drain.begin();
            drained = drain.await(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            drained = false;
        } finally {
            try {
                undertow.stop();
            } catch (RuntimeException e) {
                // was not started
            }
            shutDown(worker);
        }
        return drained;
    }
}
