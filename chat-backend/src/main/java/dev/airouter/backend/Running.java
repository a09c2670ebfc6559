package dev.airouter.backend;

import dev.airouter.lifecycle.ProcessListener;
import dev.airouter.lifecycle.ProcessStatus;
import dev.airouter.session.SessionStore;
import dev.airouter.session.SessionStores;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A started backend: everything {@link ChatBackend#start()} created, and the order in which it is
 * created and torn down.
 *
 * <p>Start: store → (router start ∥ build the HTTP stack and warm Jackson/OkHttp/Undertow) → bind.
 * Stop: stop accepting and drain → worker pool → router (if owned) → HTTP client → store.
 */
final class Running {
    private static final Logger LOG = LoggerFactory.getLogger(ChatBackend.class);

    private final SessionStore store;
    private final RouterHandle router;
    private final RouterClient client;
    private final ExecutorService workers;
    private final ApiServer server;
    private final int port;
    private final URI url;

    private Running(BackendSettings settings, SessionStore store, RouterHandle router, RouterClient client,
            ExecutorService workers, ApiServer server, int port) {
        this.store = store;
        this.router = router;
        this.client = client;
        this.workers = workers;
        this.server = server;
        this.port = port;
        String host = settings.host().equals("0.0.0.0") || settings.host().equals("::") ? "127.0.0.1" : settings.host();
        this.url = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port);
    }

    static Running start(BackendSettings s, List<ProcessListener> listeners, Consumer<RouterHandle> onRouter)
            throws InterruptedException {
        long begin = System.nanoTime();
        CompletableFuture<Warm> warm = CompletableFuture.supplyAsync(() -> Warm.up(s), Running::daemon);
        CompletableFuture<String> python = s.routerUrl() == null && s.routerCommand() == null
                ? CompletableFuture.supplyAsync(RouterSetup::python, Running::daemon)
                : CompletableFuture.completedFuture("python3");
        SessionStore store = SessionStores.open(s.storeConfig());
        RouterHandle router = null;
        Warm warmed = null;
        ExecutorService workers = null;
        RouterClient client = null;
        ApiServer server = null;
        try {
            join(python);
            RouterClient[] clientRef = new RouterClient[1];
            router = RouterSetup.create(s, () -> {
                if (clientRef[0] != null) {
                    clientRef[0].evictConnections(); // pooled connections to a dead router are stale
                }
            });
            router.addListener(event -> listeners.forEach(l -> {
                try {
                    l.onEvent(event);
                } catch (RuntimeException e) {
                    LOG.warn("router listener {} threw on {}; ignored", l, event.state(), e);
                }
            }));
            onRouter.accept(router);
            router.start();
            long ready = System.nanoTime();
            warmed = join(warm);
            client = new RouterClient(RouterSetup.baseUrl(router), s.routerTimeout(), warmed.json);
            clientRef[0] = client;
            workers = workerPool(s.maxInFlight());
            URI[] url = new URI[1];
            server = warmed.server;
            server.start(s.host(), s.port(), handler(s, warmed.json, store, router, client, workers, () -> url[0]));
            Running running = new Running(s, store, router, client, workers, server, server.port());
            url[0] = running.url;
            running.banner((System.nanoTime() - begin) / 1_000_000, (System.nanoTime() - ready) / 1_000_000);
            return running;
        } catch (InterruptedException | RuntimeException e) {
            if (server != null) {
                server.stop(Duration.ZERO);
            } else if (warmed != null) {
                warmed.server.stop(Duration.ZERO);
            } else {
                warm.thenAccept(w -> w.server.stop(Duration.ZERO));
            }
            if (workers != null) {
                workers.shutdownNow();
            }
            if (router != null) {
                router.close();
            }
            if (client != null) {
                client.close();
            }
            store.close();
            throw e;
        }
    }

    /** What is prepared while the router starts: JSON code paths, OkHttp classes, the server and its IO threads. */
    private static final class Warm {
        final Json json;
        final ApiServer server;

        private Warm(Json json, ApiServer server) {
            this.json = json;
            this.server = server;
        }

        static Warm up(BackendSettings s) {
            Json json = new Json();
            Warmup.run(json);
            new okhttp3.OkHttpClient.Builder().build().connectionPool().evictAll();
            return new Warm(json, new ApiServer(ApiServer.createWorker(), s.host(), s.port(), s.maxBodyBytes(),
                    new Responses(json)));
        }
    }

    private static void daemon(Runnable runnable) {
        Thread t = new Thread(runnable, "airouter-backend-warmup");
        t.setDaemon(true);
        t.start();
    }

    private static RequestHandler handler(BackendSettings s, Json json, SessionStore store, RouterHandle router,
            RouterClient client, ExecutorService workers, java.util.function.Supplier<URI> url) {
        Responses responses = new Responses(json);
        ChatEndpoints chat = new ChatEndpoints(store, router, client, s.maxMessageCodePoints(), HistoryBudget.DEFAULT_BYTES);
        RequestHandler[] handler = new RequestHandler[1];
        StatusEndpoints status = new StatusEndpoints(router, store, url, () -> handler[0].inFlight(), s.maxInFlight());
        Routes routes = new Routes()
                .post("/api/chat", chat::chat)
                .post("/api/chat/clear", chat::clear)
                .get("/api/chat/stats", chat::stats)
                .get(Routes.SESSIONS_PREFIX + "{id}", chat::getSession)
                .delete(Routes.SESSIONS_PREFIX + "{id}", chat::deleteSession)
                .monitor("/health", status::health)
                .monitor("/api/status", status::status);
        handler[0] = new RequestHandler(routes, new Cors(s.corsOrigins()), new BodyReader(s.maxBodyBytes(), responses),
                responses, json, workers, s.maxInFlight());
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

    private void banner(long startMillis, long afterReadyMillis) {
        ProcessStatus status = router.status();
        String how = router instanceof ExternalRouter ? "external"
                : (status.pid().isPresent() ? "pid " + status.pid().getAsLong() + ", " : "")
                        + (status.owned() ? "owned" : "adopted");
        LOG.info("chat-backend ready on {} (router {} [{}], session store {}; started in {} ms, listening {} ms"
                + " after the router was ready)", url, router.url(), how, store.backend(), startMillis, afterReadyMillis);
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

    /** Drains and tears everything down; called once (ChatBackend serialises it). */
    void stop(Duration drain) {
        long begin = System.nanoTime();
        boolean drained = server.stop(drain);
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
        store.close();
        LOG.info("chat-backend stopped in {} ms{}", (System.nanoTime() - begin) / 1_000_000,
                drained ? "" : " (in-flight requests did not finish within " + drain.toMillis() + " ms)");
    }
}
