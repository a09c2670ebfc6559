package dev.airouter.backend;

import dev.airouter.lifecycle.LifecycleException;
import dev.airouter.lifecycle.ReplicaListener;
import dev.airouter.session.SessionStoreConfig;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The chat HTTP API, embeddable: opens the session store, makes sure the Python router runs (adopts
 * a healthy one or spawns and supervises it), then serves JSON on Undertow.
 *
 * <pre>{@code
 * BackendConfig config = BackendConfig.builder()
 *         .port(0)                                        // any free port
 *         .routerDirectory(Path.of("python-router"))
 *         .build();
 * try (ChatBackend backend = ChatBackend.create(config).start()) {
 *     System.out.println("chat at " + backend.url() + "/api/chat");
 *     Thread.currentThread().join();                     // serve until interrupted
 * }                                                      // close(): drain, stop router, close store
 * }</pre>
 *
 * <h2>Endpoints</h2>
 * {@code POST /api/chat}, {@code GET|DELETE /api/sessions/{id}}, {@code POST /api/chat/clear},
 * {@code GET /api/chat/stats}, {@code GET /health}, {@code GET /api/status}; errors are
 * {@code {success:false, error, details}} with a 4xx status for anything a client can send, 502
 * when the router fails or refuses what the backend built, 503 (with {@code Retry-After}) while the
 * router or the store is unavailable, 504 when the router is slower than {@code routerTimeout}.
 * The repository's README ("chat-backend: the HTTP API") has the JSON shapes and the table of limits.
 *
 * <h2>Defaults</h2>
 * See {@link BackendConfig}: listens on {@code 127.0.0.1:3002}; router on port 8888 started as
 * {@code python3 -m ai_router --port 8888 --lifeline ppid} in {@code ./python-router} (when that
 * directory exists), restarted on failure, its output in {@code ./logs/ai-router.log}; session
 * store from {@link SessionStoreConfig#ofDefaults()} (Redis if reachable, else in memory).
 *
 * <h2>Threads</h2>
 * Two Undertow IO threads ({@code airouter-backend I/O-N}) parse requests and write answers;
 * daemon worker threads made on demand do the blocking work in between — store and router calls
 * ({@code airouter-worker-N}, about one per request in flight, ending after 30 s idle); and
 * router-lifecycle's supervision threads. All public methods are thread-safe.
 */
public final class ChatBackend implements AutoCloseable {
    private static final String ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
    private static final int RANDOM_ID_LENGTH = 10;

    private final BackendConfig config;
    private final String instanceId;
    private final List<ReplicaListener> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();

    // guarded by lock
    private State state = State.NEW;
    private Running running;
    private RouterHandle startingRouter;
    private Thread shutdownHook;

    private enum State { NEW, STARTING, RUNNING, STOPPING, STOPPED }

    private ChatBackend(BackendConfig config) {
        this.config = config;
        this.instanceId = config.instanceId().orElseGet(ChatBackend::randomInstanceId);
    }

    /** 10 characters of {@code [0-9a-z]}, about 52 bits: two backends never share one by chance. */
    private static String randomInstanceId() {
        java.security.SecureRandom random = new java.security.SecureRandom();
        StringBuilder id = new StringBuilder(RANDOM_ID_LENGTH);
        for (int i = 0; i < RANDOM_ID_LENGTH; i++) {
            id.append(ID_ALPHABET.charAt(random.nextInt(ID_ALPHABET.length())));
        }
        return id.toString();
    }

    /**
     * Makes a backend with these settings; nothing starts until {@link #start()}.
     *
     * @param config the settings
     * @return a new, stopped backend
     */
    public static ChatBackend create(BackendConfig config) {
        return new ChatBackend(java.util.Objects.requireNonNull(config, "config"));
    }

    /** @return the settings this backend was made with */
    public BackendConfig config() {
        return config;
    }

    /**
     * Returns this backend's instance id: the configured {@link BackendConfig#instanceId()}, else a
     * random one made when this backend was created. It never changes for this object, and two
     * backends (also two in one JVM) never share a random one. {@code GET /health} and
     * {@code GET /api/status} carry it, and the routers this backend spawns report it in their
     * {@code /health} ({@code spawned_by}), so that no other backend adopts them.
     *
     * @return the instance id, 1–64 characters of {@code [A-Za-z0-9._-]}; available before {@link #start()}
     */
    public String instanceId() {
        return instanceId;
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
            started = Running.start(config, instanceId, listeners, router -> {
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
                if (config.hasShutdownHook()) {
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
     * @return the base URL of the first router (replica 0), e.g. {@code http://127.0.0.1:41235};
     *     {@link #routerStatus()} lists every replica
     * @throws IllegalStateException before {@link #start()} succeeded
     */
    public URI routerUrl() {
        return runtime().router().status().url();
    }

    /**
     * Returns the routers' status: every replica (index, generation, URL, process status, whether it
     * takes calls, calls in flight) and the summary ({@code RUNNING} when all are ready,
     * {@code DEGRADED} when some, {@code DOWN} when none). For an external {@code routerUrl} the one
     * replica's process status is synthesised: state {@code ADOPTED}, not owned, no pid.
     *
     * @return the routers' current status
     * @throws IllegalStateException before {@link #start()} succeeded
     */
    public RouterStatus routerStatus() {
        return runtime().router().status();
    }

    /**
     * Reloads the routers without a gap, blue/green: a new generation of them starts beside the old
     * one (model load and all), takes calls only once every new router is ready, the old ones get no
     * new call from that moment, drain (their calls in flight finish, at most
     * {@code routerDrainTimeout}) and stop. If the new generation fails to start, it is stopped and the
     * old one serves on. With a fixed {@code routerPort} the old router must stop before the new one
     * can listen: a gap. Conversations are untouched (they live in the store). One reload at a time;
     * the same reloads run through {@code POST /api/admin/reload}.
     *
     * @return what was replaced, and how long it took
     * @throws ReloadFailedException if the new generation failed to start (exit codes and last log lines
     *     in the message; the old generation serves on)
     * @throws IllegalStateException if a reload is already under way, there is nothing to reload (an
     *     adopted or external router), or the backend is not started
     * @throws InterruptedException if the calling thread is interrupted (the reload goes on)
     */
    public ReloadResult reload() throws InterruptedException {
        Reloads.Started started;
        try {
            started = runtime().reloads().start("reload()");
        } catch (Reloads.Conflict e) {
            throw new IllegalStateException(e.getMessage() + "; wait for it to finish", e);
        }
        Reloads.Entry end;
        try {
            end = started.done().get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("the reload failed: " + e.getCause(), e.getCause());
        }
        if (end.result().isPresent()) {
            return end.result().get();
        }
        throw new ReloadFailedException(end.error().orElse("the reload failed"));
    }

    /** @return whether a router reload is under way */
    public boolean isReloading() {
        return runtime().reloads().isRunning();
    }

    /**
     * @return {@code "redis"} or {@code "memory"}
     * @throws IllegalStateException before {@link #start()} succeeded
     */
    public String storeBackend() {
        return runtime().store().backend();
    }

    /**
     * Adds a listener for the routers' events, one per replica and change (ready, down, restarting,
     * retiring, gone; each with the replica's index and generation): e.g. to stop everything when
     * every router has given up ({@code routerStatus().isFailed()}). May be called before
     * {@link #start()}. Events arrive in order on router-lifecycle's event thread; listeners must be
     * quick, and an exception thrown by one is logged and ignored. Never called for an external
     * {@code routerUrl}.
     *
     * @param listener the listener
     */
    public void addRouterListener(ReplicaListener listener) {
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
                toStop.stop(config.drainTimeout());
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
}
