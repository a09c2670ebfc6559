package dev.airouter.backend;

import dev.airouter.lifecycle.ReplicaListener;
import dev.airouter.session.SessionStore;
import dev.airouter.session.SessionStores;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import org.xnio.XnioWorker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A started backend: everything {@link ChatBackend#start()} created, and the order in which it is
 * created and torn down.
 *
 * <p>Start: store → router start ∥ (warm Jackson, build the HTTP server, its IO threads and the
 * request handler) → bind. Everything that can exist before the router is ready is made while it
 * starts, so that listening follows readiness by the bind alone (the banner reports the gap).
 * Stop: stop accepting and drain → worker pool → router (if owned) → HTTP client → store.
 */
final class Running {
    private static final Logger LOG = LoggerFactory.getLogger(ChatBackend.class);

    private final SessionStore store;
    private final RouterHandle router;
    private final RouterClient client;
    private final OkHttpClient http;
    private final ExecutorService workers;
    private final ApiServer server;
    private final Reloads reloads;
    private final Streams streams;
    private final ProbeEndpoints probes;
    private final MicrometerMetrics metrics;
    private final boolean ownsRegistry;
    private final Duration shutdownDelay;
    private final int port;
    private final URI url;

    private Running(BackendConfig config, SessionStore store, RouterHandle router, RouterClient client,
            OkHttpClient http, ExecutorService workers, ApiServer server, Reloads reloads, Streams streams,
            ProbeEndpoints probes, MicrometerMetrics metrics) {
        this.probes = probes;
        this.metrics = metrics;
        this.ownsRegistry = config.meterRegistry().isEmpty();
        this.shutdownDelay = config.shutdownDelay();
        this.reloads = reloads;
        this.streams = streams;
        this.store = store;
        this.router = router;
        this.client = client;
        this.http = http;
        this.workers = workers;
        this.server = server;
        this.port = server.port();
        String host = config.host().equals("0.0.0.0") || config.host().equals("::") ? "127.0.0.1" : config.host();
        this.url = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port);
    }

    static Running start(BackendConfig config, String instanceId, List<ReplicaListener> listeners,
            Consumer<RouterHandle> onRouter) throws InterruptedException {
        long begin = System.nanoTime();
        Json json = new Json();
        CompletableFuture<ApiServer> prepared = CompletableFuture.supplyAsync(() -> prepare(config, json), Running::daemon);
        CompletableFuture<String> python = config.routerUrl().isEmpty() && config.routerCommand().isEmpty()
                ? CompletableFuture.supplyAsync(RouterSetup::python, Running::daemon)
                : CompletableFuture.completedFuture("python3");
        SessionStore store = null;
        OkHttpClient http = null;
        RouterHandle router = null;
        ExecutorService workers = null;
        RouterClient client = null;
        Streams streams = new Streams();
        MicrometerMetrics micrometer = null;
        try {
            micrometer = config.metrics() ? meters(config) : null;
            Metrics metrics = micrometer != null ? micrometer : Metrics.NONE;
            store = SessionStores.open(config.storeConfig());
            if (micrometer != null) {
                micrometer.bindStore(store, !config.storeConfig().isRedisDisabled() && store.backend().equals("memory"));
                store = new MeteredStore(store, metrics);
            }
            http = baseClient();
            join(python);
            RouterClient[] clientRef = new RouterClient[1];
            router = RouterSetup.create(config, instanceId, http, json, () -> {
                if (clientRef[0] != null) {
                    clientRef[0].evictConnections(); // pooled connections to a router that restarted are stale
                }
            }, micrometer != null ? micrometer.registry() : null);
            router.addListener(event -> listeners.forEach(l -> {
                try {
                    l.onEvent(event);
                } catch (RuntimeException e) {
                    LOG.warn("router listener {} threw on {}; ignored", l, event.kind(), e);
                }
            }));
            client = new RouterClient(http, config.routerTimeout(), config.streamLimits(), json, metrics);
            clientRef[0] = client;
            workers = workerPool(config.maxInFlight());
            AtomicReference<URI> url = new AtomicReference<>();
            Reloads reloads = new Reloads(router::reload, router::reloadRefusal);
            RouterHandle served = micrometer != null ? new MeteredRouter(router, metrics) : router;
            ProbeEndpoints probes = new ProbeEndpoints(router, store);
            MetricsEndpoint scrape = micrometer != null ? MetricsEndpoint.of(micrometer) : MetricsEndpoint.off();
            RequestHandler handler = handler(config, instanceId, json, store, served, client, workers, url::get, reloads,
                    streams, probes, scrape, metrics);
            onRouter.accept(router);
            router.start();
            long routerReady = System.nanoTime();
            ApiServer server = join(prepared);
            server.handler(handler);
            server.bind(config.host(), config.port());
            long listening = System.nanoTime();
            Running running = new Running(config, store, router, client, http, workers, server, reloads, streams,
                    probes, micrometer);
            url.set(running.url);
            running.banner(instanceId, (listening - begin) / 1_000_000, (listening - routerReady) / 1_000_000.0);
            return running;
        } catch (InterruptedException | RuntimeException e) {
            stopPrepared(prepared);
            streams.close();
            if (workers != null) {
                workers.shutdownNow();
            }
            if (router != null) {
                router.close();
            }
            if (client != null) {
                client.close();
            }
            if (http != null) {
                closeClient(http);
            }
            if (store != null) {
                store.close();
            }
            closeMeters(micrometer, config.meterRegistry().isEmpty());
            throw e;
        }
    }

    /**
     * Everything of the HTTP server that can exist before the router is ready: the IO threads, the
     * HTTP listener, and the warm-up of the paths that would otherwise run cold after readiness.
     * The IO threads are not daemons, so they are ended here if anything after their creation fails.
     */
    private static ApiServer prepare(BackendConfig config, Json json) {
        Warmup.run(json);
        XnioWorker io = ApiServer.createWorker();
        try {
            ApiServer server = new ApiServer(io, config.maxBodyBytes(), new Responses(json));
            Warmup.bind(io);
            Warmup.http();
            return server;
        } catch (RuntimeException | Error e) {
            ApiServer.shutDown(io);
            throw e;
        }
    }

    /** Stops the prepared server (its IO threads) of a start that failed; waits for it a little. */
    private static void stopPrepared(CompletableFuture<ApiServer> prepared) {
        try {
            prepared.get(5, TimeUnit.SECONDS).stop(Duration.ZERO);
        } catch (InterruptedException e) {
            prepared.thenAccept(s -> s.stop(Duration.ZERO));
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // preparing failed: prepare() ended its IO threads
        } catch (TimeoutException e) {
            prepared.thenAccept(s -> s.stop(Duration.ZERO)); // still warming up: stopped when done
        }
    }

    /**
     * The backend's one HTTP client, from which the router client, the lifecycle's health prober and
     * the external router's probes derive theirs ({@code newBuilder()} shares its dispatcher and, unless
     * replaced, its connection pool). Never retries on its own: a re-sent {@code POST /route} could run
     * an agent twice.
     */
    private static OkHttpClient baseClient() {
        return new OkHttpClient.Builder()
                .retryOnConnectionFailure(false)
                .followRedirects(false)
                .protocols(List.of(Protocol.HTTP_1_1))
                .build();
    }

    private static void closeClient(OkHttpClient http) {
        http.connectionPool().evictAll();
        http.dispatcher().executorService().shutdown();
    }

    private static void daemon(Runnable runnable) {
        Thread t = new Thread(runnable, "airouter-backend-warmup");
        t.setDaemon(true);
        t.start();
    }

    /**
     * The backend's meters: on the registry the config gives, else on a Prometheus registry of its own
     * with Micrometer's JVM and process meters.
     */
    private static MicrometerMetrics meters(BackendConfig config) {
        if (config.meterRegistry().isPresent()) {
            return new MicrometerMetrics(config.meterRegistry().get());
        }
        MicrometerMetrics made = new MicrometerMetrics(MicrometerMetrics.ownRegistry());
        made.bindJvm();
        return made;
    }

    /** Removes the backend's meters; closes the registry too when the backend made it. */
    private static void closeMeters(MicrometerMetrics metrics, boolean ownsRegistry) {
        if (metrics != null) {
            metrics.close();
            if (ownsRegistry) {
                metrics.registry().close();
            }
        }
    }

    private static RequestHandler handler(BackendConfig config, String instanceId, Json json, SessionStore store,
            RouterHandle router, RouterClient client, ExecutorService workers, Supplier<URI> url, Reloads reloads,
            Streams streams, ProbeEndpoints probes, MetricsEndpoint scrape, Metrics metrics) {
        Responses responses = new Responses(json);
        ChatEndpoints chat = new ChatEndpoints(store, router, client, config.maxMessageCodePoints(), json,
                config.streamLimits(), metrics);
        RequestHandler[] handler = new RequestHandler[1];
        StatusEndpoints status = new StatusEndpoints(instanceId, router, store, url, () -> handler[0].inFlight(),
                config.maxInFlight(), config.maxMessageCodePoints());
        AdminEndpoints admin = new AdminEndpoints(config.adminToken(), reloads);
        handler[0] = new RequestHandler(ApiRoutes.of(chat, status, admin, probes, scrape), new Cors(config.corsOrigins()),
                new BodyReader(config.maxBodyBytes(), responses), responses, json, workers, config.maxInFlight(), streams,
                metrics);
        return handler[0];
    }

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException) {
                throw (RuntimeException) e.getCause();
            }
            throw new BackendException("preparing the HTTP server failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Threads are made on demand (a {@link SynchronousQueue} hands each task to an idle thread or a
     * new one) and end after 30 s idle, so an idle or lightly loaded backend holds few threads. The
     * admission limit bounds the tasks; the slack covers threads that have released their permit
     * but are not yet back in the pool.
     */
    private static ExecutorService workerPool(int maxInFlight) {
        AtomicInteger count = new AtomicInteger();
        return new ThreadPoolExecutor(0, maxInFlight + 8, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), runnable -> {
            Thread t = new Thread(runnable, "airouter-worker-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    private void banner(String instanceId, long startMillis, double afterReadyMillis) {
        RouterStatus status = router.status();
        StringBuilder routers = new StringBuilder();
        for (RouterStatus.ReplicaStatus r : status.replicas()) {
            routers.append(routers.length() == 0 ? "" : ", ").append(r.url());
            if (router instanceof ExternalRouter) {
                routers.append(" [external]");
            } else {
                routers.append(r.process().pid().isPresent() ? " [pid " + r.process().pid().getAsLong() + ", " : " [")
                        .append(status.owned() ? "owned]" : "adopted]");
            }
        }
        LOG.info("chat-backend {} ready on {} (router{} {}, session store {}; started in {} ms, listening {} ms"
                + " after the router{} ready)", instanceId, url, status.replicas().size() > 1 ? "s" : "", routers,
                store.backend(), startMillis, String.format(java.util.Locale.ROOT, "%.1f", afterReadyMillis),
                status.replicas().size() > 1 ? "s were" : " was");
    }

    int port() {
        return port;
    }

    URI url() {
        return url;
    }

    RouterHandle router() {
        return router;
    }

    SessionStore store() {
        return store;
    }

    Reloads reloads() {
        return reloads;
    }

    /** Drains and tears everything down; called once (ChatBackend serialises it). */
    void stop(Duration drain) {
        long begin = System.nanoTime();
        probes.stopping();
        if (!shutdownDelay.isZero()) {
            // load balancers see /readyz fail and stop sending; what they still send is served in full
            LOG.info("chat-backend stopping: /readyz answers 503; serving for {} ms more (shutdownDelay), then"
                    + " draining", shutdownDelay.toMillis());
            try {
                Thread.sleep(shutdownDelay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        reloads.stopping();
        streams.stopping(); // each ends with an error event once its partial reply is stored
        long deadline = System.nanoTime() + drain.toNanos();
        boolean drained = server.stop(drain);
        try {
            drained &= streams.await(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            drained = false;
        }
        streams.close();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(1, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        router.close();
        client.close();
        closeClient(http);
        store.close();
        closeMeters(metrics, ownsRegistry);
        LOG.info("chat-backend stopped in {} ms{}", (System.nanoTime() - begin) / 1_000_000,
                drained ? "" : " (in-flight requests did not finish within " + drain.toMillis() + " ms)");
    }
}
