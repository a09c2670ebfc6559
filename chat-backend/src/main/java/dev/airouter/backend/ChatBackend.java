package dev.airouter.backend;

import dev.airouter.lifecycle.LifecycleException;
import dev.airouter.lifecycle.LivenessProbe;
import dev.airouter.lifecycle.ProcessListener;
import dev.airouter.lifecycle.ProcessStatus;
import dev.airouter.lifecycle.RestartPolicy;
import dev.airouter.session.SessionStore;
import dev.airouter.session.SessionStoreConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The chat HTTP API, embeddable: opens the session store, makes sure the Python router runs (adopts
 * a healthy one or spawns and supervises it), then serves JSON on Undertow.
 *
 * <pre>{@code
 * try (ChatBackend backend = ChatBackend.builder()
 *         .port(0)                                        // any free port
 *         .routerDirectory(Path.of("python-router"))
 *         .build()
 *         .start()) {
 *     System.out.println("chat at " + backend.url() + "/api/chat");
 *     Thread.currentThread().join();                     // serve until interrupted
 * }                                                      // close(): drain, stop router, close store
 * }</pre>
 *
 * <h2>Endpoints</h2>
 * {@code POST /api/chat}, {@code GET|DELETE /api/sessions/{id}}, {@code POST /api/chat/clear},
 * {@code GET /api/chat/stats}, {@code GET /health}, {@code GET /api/status}; errors are
 * {@code {success:false, error, details}} with a 4xx status for anything a client can send, 503
 * (with {@code Retry-After}) while the router or the store is unavailable, 504 when the router is
 * slower than {@code routerTimeout}. See the module README for the JSON shapes.
 *
 * <h2>Defaults</h2>
 * Listens on {@code 127.0.0.1:3002}; router on port 8888 started as
 * {@code python3 -m ai_router --port 8888 --lifeline ppid} in {@code ./python-router} (when that
 * directory exists), restarted on failure, its output in {@code ./logs/ai-router.log}; session
 * store from {@link SessionStoreConfig#ofDefaults()} (Redis if reachable, else in memory); CORS for
 * {@code http://localhost:3000} and {@code http://127.0.0.1:3000}; router timeout 30 s; bodies up
 * to 1 MiB; messages up to 8,000 code points; 64 requests in flight; 5 s drain on stop; a JVM
 * shutdown hook that calls {@link #stop()}.
 *
 * <h2>Threads</h2>
 * Two Undertow IO threads ({@code airouter-backend I/O-N}) parse requests and write answers;
 * daemon worker threads made on demand do the blocking work in between — store and router calls
 * ({@code airouter-worker-N}, about one per request in flight, ending after 30 s idle); and
 * router-lifecycle's supervision threads. All public methods are thread-safe.
 */
public final class ChatBackend implements AutoCloseable {
    private final BackendSettings settings;
    private final List<ProcessListener> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();

    // guarded by lock
    private State state = State.NEW;
    private Running running;
    private RouterHandle startingRouter;
    private Thread shutdownHook;

    private enum State { NEW, STARTING, RUNNING, STOPPING, STOPPED }

    private ChatBackend(BackendSettings settings) {
        this.settings = settings;
    }

    /**
     * Starts a builder holding the defaults listed in the class documentation.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the backend: opens the session store, then makes sure the router runs (adopting a
     * healthy router already on its port, or spawning one and waiting until it is ready; an
     * external {@code routerUrl} is only checked), then listens. The HTTP server is built while the
     * router starts, so listening follows router readiness within milliseconds. Logs one banner line
     * (backend URL, router URL, pid, owned/adopted, store backend).
     *
     * <p>On failure nothing listens, a router this call spawned is stopped, the store is closed, and
     * the exception propagates.
     *
     * @return this backend, running
     * @throws LifecycleException if the router cannot be started or adopted (a foreign server on its
     *     port, an exit during start-up — with the router's last log lines —, a start-up timeout)
     * @throws BackendException if the backend cannot listen on its port, or the external router does
     *     not answer
     * @throws IllegalStateException if {@code start()} was already called
     * @throws InterruptedException if the calling thread is interrupted (everything is stopped)
     */
    public ChatBackend start() throws InterruptedException {
        synchronized (lock) {
            if (state != State.NEW) {
                throw new IllegalStateException("start() was already called on this ChatBackend (state " + state
                        + "); build a new one to start again");
            }
            state = State.STARTING;
        }
        Running started = null;
        try {
            started = Running.start(settings, listeners, router -> {
                synchronized (lock) {
                    startingRouter = router;
                    if (state != State.STARTING) {
                        throw new BackendException("stop() was called while the backend was starting");
                    }
                }
            });
            synchronized (lock) {
                if (state != State.STARTING) {
                    throw new BackendException("stop() was called while the backend was starting");
                }
                running = started;
                state = State.RUNNING;
                if (settings.shutdownHook()) {
                    installShutdownHook();
                }
            }
            return this;
        } catch (InterruptedException | RuntimeException e) {
            if (started != null) {
                started.stop(Duration.ZERO);
            }
            synchronized (lock) {
                state = State.STOPPED;
            }
            stopped.complete(null);
            throw e;
        }
    }

    /**
     * @return the port the backend listens on (the actual one when configured as 0)
     * @throws IllegalStateException before {@link #start()} succeeded
     */
    public int port() {
        return runtime().port();
    }

    /**
     * @return {@code http://127.0.0.1:<port>} (the configured host when it is not a wildcard)
     * @throws IllegalStateException before {@link #start()} succeeded
     */
    public URI url() {
        return runtime().url();
    }

    /**
     * @return the router's base URL, e.g. {@code http://127.0.0.1:8888}
     * @throws IllegalStateException before {@link #start()} succeeded
     */
    public URI routerUrl() {
        return runtime().router().url();
    }

    /**
     * Returns the router's status. For an external {@code routerUrl} it is synthesised: state
     * {@code ADOPTED}, not owned, no pid.
     *
     * @return the router's current status
     * @throws IllegalStateException before {@link #start()} succeeded
     */
    public ProcessStatus routerStatus() {
        return runtime().router().status();
    }

    /**
     * @return {@code "redis"} or {@code "memory"}
     * @throws IllegalStateException before {@link #start()} succeeded
     */
    public String storeBackend() {
        return runtime().store().backend();
    }

    /**
     * Adds a listener for the router's state transitions (e.g. to stop everything when it reaches
     * {@code FAILED}). May be called before {@link #start()}. Events arrive in order on
     * router-lifecycle's event thread; listeners must be quick, and an exception thrown by one is
     * logged and ignored. Never called for an external {@code routerUrl}.
     *
     * @param listener the listener
     */
    public void addRouterListener(ProcessListener listener) {
        listeners.add(java.util.Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Stops the backend: stops accepting connections, lets in-flight requests finish (at most the
     * drain timeout, default 5 s; new requests on open connections meanwhile get 503), stops the
     * router if this backend spawned it (an adopted or external router is left running), and closes
     * the session store. Idempotent and thread-safe: concurrent callers return once the stop is
     * complete. Safe from a shutdown hook. Calling it during {@link #start()} makes the start fail.
     */
    public void stop() {
        Running toStop;
        RouterHandle interruptStart = null;
        synchronized (lock) {
            switch (state) {
                case NEW:
                    state = State.STOPPED;
                    stopped.complete(null);
                    return;
                case STARTING:
                    state = State.STOPPING;
                    interruptStart = startingRouter;
                    toStop = null;
                    break;
                case RUNNING:
                    state = State.STOPPING;
                    toStop = running;
                    break;
                default:
                    toStop = null;
                    break;
            }
        }
        if (interruptStart != null) {
            interruptStart.close(); // ensureRunning() fails with "interrupted by stop()"; start() cleans up
        }
        if (toStop != null) {
            try {
                toStop.stop(settings.drainTimeout());
                removeShutdownHook();
            } finally {
                synchronized (lock) {
                    state = State.STOPPED;
                }
                stopped.complete(null);
            }
        }
        stopped.join();
    }

    private void installShutdownHook() {
        Thread hook = new Thread(this::stop, "airouter-backend-shutdown");
        try {
            java.lang.Runtime.getRuntime().addShutdownHook(hook);
            shutdownHook = hook;
        } catch (IllegalStateException e) {
            // the JVM is already shutting down; the caller's stop() is the only cleanup left
        }
    }

    private void removeShutdownHook() {
        Thread hook;
        synchronized (lock) {
            hook = shutdownHook;
            shutdownHook = null;
        }
        if (hook != null && hook != Thread.currentThread()) {
            try {
                java.lang.Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down already
            }
        }
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    private Running runtime() {
        synchronized (lock) {
            if (running == null) {
                throw new IllegalStateException("the backend is not started (state " + state + "); call start() first");
            }
            return running;
        }
    }

    /**
     * Configures a {@link ChatBackend}. Setters validate their argument at once and fail when the
     * same option is set twice; {@link #build()} checks the rules between options. Not thread-safe.
     */
    public static final class Builder {
        private final BuilderState b = new BuilderState();

        private Builder() {}

        /**
         * @param host the address to listen on (default {@code 127.0.0.1}; loopback keeps the API private)
         * @return this builder
         */
        public Builder host(String host) {
            b.host(host);
            return this;
        }

        /**
         * @param port the port to listen on, 0–65535 (default 3002; 0 = any free port, see {@link #port()})
         * @return this builder
         */
        public Builder port(int port) {
            b.port(port);
            return this;
        }

        /**
         * @param port the router's port on 127.0.0.1, 0–65535 (default 8888; 0 = pick a free port before
         *     spawning, which never adopts)
         * @return this builder
         */
        public Builder routerPort(int port) {
            b.routerPort(port);
            return this;
        }

        /**
         * Uses a router that runs elsewhere: it is checked at start ({@code GET /health} must answer 2xx)
         * and never spawned, restarted or stopped. Conflicts with {@link #routerCommand(List)}.
         *
         * @param url the router's base URL, e.g. {@code http://127.0.0.1:8888}
         * @return this builder
         */
        public Builder routerUrl(String url) {
            b.routerUrl(url);
            return this;
        }

        /**
         * Spawns this command instead of {@code python3 -m ai_router}. It gets the port in the
         * {@code ROUTER_PORT} environment variable and is ready when
         * {@code http://127.0.0.1:<routerPort>/health} answers any 2xx (a server already answering there
         * is adopted). Conflicts with {@link #routerUrl(String)}.
         *
         * @param command the executable and its arguments
         * @return this builder
         */
        public Builder routerCommand(List<String> command) {
            b.routerCommand(command);
            return this;
        }

        /**
         * @param dir the directory holding the {@code ai_router} package, and the router's working
         *     directory (default {@code ./python-router} when it exists, else the current directory)
         * @return this builder
         */
        public Builder routerDirectory(Path dir) {
            b.routerDirectory(dir);
            return this;
        }

        /**
         * @param dir where the router's log goes, as {@code <dir>/ai-router.log} (default {@code ./logs})
         * @return this builder
         */
        public Builder logDir(Path dir) {
            b.logDir(dir);
            return this;
        }

        /**
         * @param lines receives each line the router prints (stdout and stderr), on reader threads;
         *     must be quick and must not throw
         * @return this builder
         */
        public Builder routerOutput(Consumer<String> lines) {
            b.routerOutput(lines);
            return this;
        }

        /**
         * @param config the session store settings (default {@link SessionStoreConfig#ofDefaults()}:
         *     Redis at its default URL if reachable, else in memory)
         * @return this builder
         */
        public Builder storeConfig(SessionStoreConfig config) {
            b.storeConfig(config);
            return this;
        }

        /**
         * @param origins origins allowed by CORS, as {@code scheme://host[:port]} (default
         *     {@code http://localhost:3000} and {@code http://127.0.0.1:3000}); other origins get no CORS
         *     headers
         * @return this builder
         */
        public Builder corsOrigins(List<String> origins) {
            b.corsOrigins(origins);
            return this;
        }

        /**
         * @param timeout how long one router call may take before the client gets 504 (default 30 s)
         * @return this builder
         */
        public Builder routerTimeout(Duration timeout) {
            b.routerTimeout(timeout);
            return this;
        }

        /**
         * @param bytes the largest request body, 1 KiB–64 MiB (default 1 MiB); larger ones get 413
         * @return this builder
         */
        public Builder maxBodyBytes(long bytes) {
            b.maxBodyBytes(bytes);
            return this;
        }

        /**
         * @param n the longest chat message in Unicode code points, 1–10,000 (default 8,000; the router
         *     refuses queries over 10,000)
         * @return this builder
         */
        public Builder maxMessageCodePoints(int n) {
            b.maxMessageCodePoints(n);
            return this;
        }

        /**
         * @param probe restart the router after repeated failed health checks (default none)
         * @return this builder
         */
        public Builder livenessProbe(LivenessProbe probe) {
            b.livenessProbe(probe);
            return this;
        }

        /**
         * @param policy when to restart a router that exits (default {@link RestartPolicy#onFailure()})
         * @return this builder
         */
        public Builder restartPolicy(RestartPolicy policy) {
            b.restartPolicy(policy);
            return this;
        }

        /**
         * @param max requests admitted at once (queued for a worker or running), 1–10,000 (default 64);
         *     the next one is answered 503 at once
         * @return this builder
         */
        public Builder maxInFlight(int max) {
            b.maxInFlight(max);
            return this;
        }

        /**
         * @param timeout how long {@link ChatBackend#stop()} waits for in-flight requests, not negative
         *     (default 5 s)
         * @return this builder
         */
        public Builder drainTimeout(Duration timeout) {
            b.drainTimeout(timeout);
            return this;
        }

        /**
         * @param install whether {@link ChatBackend#start()} installs a JVM shutdown hook that calls
         *     {@link ChatBackend#stop()} (default true)
         * @return this builder
         */
        public Builder shutdownHook(boolean install) {
            b.shutdownHook(install);
            return this;
        }

        /**
         * Checks the rules between options and builds the backend (nothing starts yet).
         *
         * @return a new, stopped backend
         * @throws IllegalArgumentException if {@code routerUrl} and {@code routerCommand} are both set,
         *     or the router directory does not exist or (for the default command) has no
         *     {@code ai_router} package
         */
        public ChatBackend build() {
            return new ChatBackend(b.build());
        }
    }
}
