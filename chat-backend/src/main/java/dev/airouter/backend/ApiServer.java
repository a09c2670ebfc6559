package dev.airouter.backend;

import io.undertow.UndertowOptions;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.handlers.HttpContinueReadHandler;
import io.undertow.server.protocol.http.HttpOpenListener;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;

/**
 * The HTTP server: Undertow's HTTP/1.1 connection handling on our own XNIO worker, assembled here
 * instead of through {@code Undertow.start()} so that everything but the bind is made while the
 * router starts. {@code Undertow.start()} builds the buffer pool and the protocol listener (whose
 * request parser is a large generated class) at the moment it binds, which took 27–50 ms after the
 * router was ready on this project's machine; here the constructor does that work, on the warm-up
 * thread, and {@link #bind} only opens the listening socket.
 *
 * <p>Settings that matter: {@code MAX_ENTITY_SIZE} is set explicitly (Undertow 2.4.4 otherwise caps
 * bodies at 2 MiB and may drop the connection instead of answering). Our own limit is enforced
 * before reading (see {@link BodyReader}); Undertow's is set well above it so that after our 413 it
 * can still read and discard a moderately oversized body and the client reliably receives the
 * answer, while a huge one is cut off. {@code TCP_NODELAY} is on. The socket options are the ones
 * {@code Undertow.start()} uses.
 *
 * <p>Stop: in-flight exchanges get up to the drain timeout to finish while new requests are
 * answered 503 ({@link Drain}), then the port and every connection close and the IO threads end.
 */
final class ApiServer {
    private final XnioWorker worker;
    private final DefaultByteBufferPool buffers;
    private final HttpOpenListener http;
    private final ChannelListener<AcceptingChannel<StreamConnection>> accept;
    private final OptionMap socketOptions;
    private final Drain drain;
    private volatile HttpHandler handler;
    private volatile AcceptingChannel<? extends StreamConnection> channel;

    /** Creates the IO threads (two; blocking work runs on the backend's own pool, not XNIO's). */
    static XnioWorker createWorker() {
        try {
            return Xnio.getInstance(ApiServer.class.getClassLoader()).createWorker(OptionMap.builder()
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

    /**
     * Builds the server around the given IO threads, ready to {@link #bind}; the request handler
     * comes with {@link #handler(HttpHandler)}.
     */
    ApiServer(XnioWorker worker, long maxBodyBytes, Responses responses) {
        this.worker = worker;
        this.buffers = new DefaultByteBufferPool(true, 16 * 1024, -1, 4);
        // HttpContinueReadHandler sends "100 Continue" only when the body is actually read, so a client
        // that sent Expect: 100-continue does not wait a second for it, and a refused body is never sent
        this.drain = new Drain(new HttpContinueReadHandler(exchange -> handler.handleRequest(exchange)), responses);
        this.http = new HttpOpenListener(buffers, OptionMap.builder()
                .set(UndertowOptions.MAX_ENTITY_SIZE, Math.max(maxBodyBytes * 8, 8L * 1024 * 1024))
                .set(UndertowOptions.ALWAYS_SET_DATE, true)
                .set(UndertowOptions.NO_REQUEST_TIMEOUT, 60_000)
                .set(UndertowOptions.REQUEST_PARSE_TIMEOUT, 30_000)
                .getMap());
        http.setRootHandler(drain);
        this.accept = ChannelListeners.openListenerAdapter(http);
        this.socketOptions = OptionMap.builder()
                .set(Options.WORKER_IO_THREADS, worker.getIoThreadCount())
                .set(Options.TCP_NODELAY, true)
                .set(Options.REUSE_ADDRESSES, true)
                .set(Options.BALANCING_TOKENS, 1)
                .set(Options.BALANCING_CONNECTIONS, 2)
                .set(Options.BACKLOG, 1000)
                .getMap();
    }

    /** Sets the request handler; call before {@link #bind}. */
    void handler(HttpHandler requestHandler) {
        this.handler = requestHandler;
    }

    /**
     * Opens the listening socket and starts accepting.
     *
     * @throws BackendException if the address cannot be bound (port in use, bad host)
     */
    void bind(String host, int port) {
        try {
            AcceptingChannel<? extends StreamConnection> server = worker.createStreamConnectionServer(
                    new InetSocketAddress(InetAddress.getByName(host), port), accept, socketOptions);
            server.resumeAccepts();
            channel = server;
        } catch (IOException | RuntimeException e) {
            throw new BackendException("cannot listen on " + host + ":" + port + ": " + e.getMessage()
                    + (port != 0 ? "; is another backend running? Stop it or choose another port (0 = any free port)"
                    : ""), e);
        }
    }

    /** Ends the IO threads. */
    static void shutDown(XnioWorker worker) {
        worker.shutdown();
        try {
            if (!worker.awaitTermination(2, TimeUnit.SECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    int port() {
        return ((InetSocketAddress) channel.getLocalAddress()).getPort();
    }

    /**
     * Answers new requests 503, waits for in-flight ones up to {@code timeout}, then closes the port,
     * every connection and the IO threads. Also safe on a server that never bound.
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
            IoUtils.safeClose(channel);
            http.closeConnections();
            shutDown(worker);
            buffers.close();
        }
        return drained;
    }
}
