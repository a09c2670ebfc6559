package dev.airouter.benchmarks.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airouter.backend.ChatBackend;
import dev.airouter.benchmarks.Stats;
import dev.airouter.session.ChatMessage;
import dev.airouter.session.SessionStore;
import dev.airouter.session.SessionStoreConfig;
import dev.airouter.session.SessionStores;
import dev.airouter.testing.RedisServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the chat backend adds on top of the router, measured in one run on one machine: the router's
 * {@code POST /route} called directly versus {@code POST /api/chat} through an in-process
 * {@link ChatBackend} (which loads the history, calls {@code /route}, appends user message + reply).
 *
 * <ul>
 *   <li>Latency at 1 connection: alternating blocks of direct and backend requests, so drift hits
 *       both; median and p99 of each, and the difference (what the backend adds).
 *   <li>Throughput at 8 connections: requests per second for {@code SECONDS} each, direct then backend.
 *   <li>CPU per request in the backend phase: the backend's threads (ThreadMXBean, see
 *       {@link CpuMeter}), the whole JVM minus the load generator's threads (an upper bound that also
 *       counts JIT and GC), and the router process ({@code /proc/<pid>/stat}).
 *   <li>Session-store share: one {@code load} + one two-message {@code append} (what a chat request
 *       does) timed directly against a second store instance of the same kind.
 * </ul>
 * Fairness: direct calls carry exactly the 10-message history the backend sends at steady state
 * (the store keeps 10 messages here; the body is built from a real session), and the same query. Load generator, backend and router share the
 * machine's cores.
 *
 * <p>Usage: {@code BackendLoadBenchmark [SECONDS] [memory|redis]} (defaults 5 and redis when
 * {@code redis-server} is installed). The backend's access log is off unless
 * {@code -Dorg.slf4j.simpleLogger.log.dev.airouter.backend.access=info}.
 */
public final class BackendLoadBenchmark {
    private static final String QUERY = "hello there, how are you today?";
    private static final int HISTORY = 10;
    private static final int LATENCY_BLOCK = 200;
    private static final int LATENCY_BLOCKS = 10;
    private static final int CONNECTIONS = 8;
    private static final String[] BACKEND_THREADS = {"airouter-backen"};
    private static final String[] OKHTTP_THREADS = {"OkHttp", "Okio", "lettuce"};

    private BackendLoadBenchmark() {}

    /**
     * Runs the benchmark and prints the figures.
     *
     * @param args {@code [SECONDS] [memory|redis]}
     * @throws Exception if the backend cannot start or a request fails
     */
    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.log.dev.airouter.backend.access",
                System.getProperty("org.slf4j.simpleLogger.log.dev.airouter.backend.access", "warn"));
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        boolean redis = args.length > 1 ? args[1].equals("redis") : RedisServer.isInstalled();
        try (RedisServer server = redis ? RedisServer.start() : null) {
            SessionStoreConfig store = SessionStoreConfig.builder().redisUrl(redis ? server.url() : "none")
                    .connectTimeout(java.time.Duration.ofSeconds(5)).historyLimit(HISTORY).build();
            Path routerDir = Files.isDirectory(Path.of("python-router")) ? Path.of("python-router") : Path.of("../python-router");
            try (ChatBackend backend = ChatBackend.builder().port(0).routerPort(0).routerDirectory(routerDir)
                    .logDir(Files.createTempDirectory("airouter-bench-")).storeConfig(store).shutdownHook(false)
                    .build().start()) {
                String wanted = redis ? "redis" : "memory";
                if (!backend.storeBackend().equals(wanted)) {
                    throw new IllegalStateException("the backend opened the " + backend.storeBackend()
                            + " store, not " + wanted + "; figures would be mislabelled");
                }
                new BackendLoadBenchmark().run(backend, store, seconds);
            }
        }
    }

    private void run(ChatBackend backend, SessionStoreConfig storeConfig, int seconds) throws Exception {
        int routerPort = backend.routerUrl().getPort();
        long routerPid = backend.routerStatus().pid().orElseThrow();
        System.out.printf(Locale.ROOT, "backend %s, router %s (pid %d), store %s, %d cores, Java %s%n",
                backend.url(), backend.routerUrl(), routerPid, backend.storeBackend(),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));

        // warm-up: JIT for both paths, and every benchmark session filled to its steady-state history;
        // the direct calls then carry exactly the history the backend sends
        Load toBackend = i -> chatBody("bench-" + (i % 64));
        throughput("127.0.0.1", backend.port(), "/api/chat", toBackend, Math.max(2, seconds / 2));
        try (KeepAliveClient b = new KeepAliveClient("127.0.0.1", backend.port())) {
            for (int i = 0; i < HISTORY; i++) {
                b.post("/api/chat", chatBody("bench-latency"));
            }
        }
        byte[] direct = directBody(backend, "bench-latency");
        Load toRouter = i -> direct;
        throughput("127.0.0.1", routerPort, "/route", toRouter, Math.max(2, seconds / 2));

        List<Double> directMs = new ArrayList<>();
        List<Double> backendMs = new ArrayList<>();
        try (KeepAliveClient r = new KeepAliveClient("127.0.0.1", routerPort);
                KeepAliveClient b = new KeepAliveClient("127.0.0.1", backend.port())) {
            for (int block = 0; block < LATENCY_BLOCKS; block++) {
                latencies(r, "/route", toRouter, directMs);
                latencies(b, "/api/chat", i -> chatBody("bench-latency"), backendMs);
            }
        }
        Stats d = Stats.of(directMs);
        Stats bk = Stats.of(backendMs);
        System.out.printf(Locale.ROOT, "%nLatency, 1 connection, %d requests each (ms):%n", directMs.size());
        System.out.printf(Locale.ROOT, "  direct /route     median %.3f  p90 %.3f  p99 %.3f%n", d.median(), d.p90(), d.quantile(0.99));
        System.out.printf(Locale.ROOT, "  backend /api/chat median %.3f  p90 %.3f  p99 %.3f%n", bk.median(), bk.p90(), bk.quantile(0.99));
        System.out.printf(Locale.ROOT, "  added by backend  median %.3f        p99 %.3f%n",
                bk.median() - d.median(), bk.quantile(0.99) - d.quantile(0.99));

        long routerCpu0 = CpuMeter.processNanos(routerPid);
        Result directRun = throughput("127.0.0.1", routerPort, "/route", toRouter, seconds);
        long routerCpuDirect = CpuMeter.processNanos(routerPid) - routerCpu0;

        long switches0 = CpuMeter.contextSwitches(BACKEND_THREADS);
        long okhttp0 = CpuMeter.contextSwitches(OKHTTP_THREADS);
        long backend0 = CpuMeter.backendNanos();
        long jvm0 = jvmNanos();
        long router0 = CpuMeter.processNanos(routerPid);
        Result backendRun = throughput("127.0.0.1", backend.port(), "/api/chat", toBackend, seconds);
        double backendCpu = (CpuMeter.backendNanos() - backend0) / 1e6 / backendRun.requests;
        double jvmCpu = (jvmNanos() - jvm0 - backendRun.clientCpuNanos) / 1e6 / backendRun.requests;
        double routerCpu = (CpuMeter.processNanos(routerPid) - router0) / 1e6 / backendRun.requests;
        double switches = (double) (CpuMeter.contextSwitches(BACKEND_THREADS) - switches0) / backendRun.requests;
        double okhttpSwitches = (double) (CpuMeter.contextSwitches(OKHTTP_THREADS) - okhttp0) / backendRun.requests;

        System.out.printf(Locale.ROOT, "%nThroughput, %d connections, %d s each:%n", CONNECTIONS, seconds);
        System.out.printf(Locale.ROOT, "  direct /route      %8.0f req/s (%d requests, %d errors)%n",
                directRun.perSecond(), directRun.requests, directRun.errors);
        System.out.printf(Locale.ROOT, "  backend /api/chat  %8.0f req/s (%d requests, %d errors) = %.0f %% of direct%n",
                backendRun.perSecond(), backendRun.requests, backendRun.errors,
                100.0 * backendRun.perSecond() / directRun.perSecond());

        StoreCost store = storeCost(storeConfig);
        System.out.printf(Locale.ROOT, "%nCPU per request (backend phase, ms):%n");
        System.out.printf(Locale.ROOT, "  backend threads (IO, workers, OkHttp, store client)  %.3f%n", backendCpu);
        System.out.printf(Locale.ROOT, "  whole JVM minus load generator (incl. JIT, GC)       %.3f%n", jvmCpu);
        System.out.printf(Locale.ROOT, "  router process, via backend                          %.3f%n", routerCpu);
        System.out.printf(Locale.ROOT, "  router process, direct /route                        %.3f%n",
                routerCpuDirect / 1e6 / directRun.requests);
        System.out.printf(Locale.ROOT, "  context switches per request: backend IO + workers %.1f, OkHttp/Okio/Lettuce threads %.1f%n",
                switches, okhttpSwitches);
        System.out.printf(Locale.ROOT, "%nSession store (%s), load + append of 2 messages, %d rounds on one thread:%n",
                storeConfig.isRedisDisabled() ? "memory" : "redis", store.rounds);
        System.out.printf(Locale.ROOT, "  wall %.3f ms, client CPU %.3f ms per request = %.0f %% of the backend's CPU,"
                + " %.0f %% of its added median latency%n", store.wallMs, store.cpuMs, 100 * store.cpuMs / backendCpu,
                100 * store.wallMs / Math.max(1e-9, bk.median() - d.median()));
    }

    /** A request body for request number {@code i}. */
    @FunctionalInterface
    private interface Load {
        byte[] body(long i);
    }

    private static void latencies(KeepAliveClient client, String path, Load load, List<Double> into) throws IOException {
        for (int i = 0; i < LATENCY_BLOCK; i++) {
            byte[] body = load.body(i);
            long start = System.nanoTime();
            int status = client.post(path, body);
            into.add((System.nanoTime() - start) / 1e6);
            if (status != 200) {
                throw new IOException(path + " answered " + status);
            }
        }
    }

    private record Result(long requests, long errors, double seconds, long clientCpuNanos) {
        double perSecond() {
            return requests / seconds;
        }
    }

    private static Result throughput(String host, int port, String path, Load load, int seconds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CONNECTIONS);
        AtomicLong ok = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicLong clientCpu = new AtomicLong();
        AtomicLong counter = new AtomicLong();
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < CONNECTIONS; c++) {
            futures.add(pool.submit(() -> {
                long cpu0 = CpuMeter.currentThreadNanos();
                try (KeepAliveClient client = new KeepAliveClient(host, port)) {
                    while (System.nanoTime() < end) {
                        try {
                            if (client.post(path, load.body(counter.getAndIncrement())) == 200) {
                                ok.incrementAndGet();
                            } else {
                                errors.incrementAndGet();
                            }
                        } catch (IOException e) {
                            errors.incrementAndGet();
                        }
                    }
                }
                clientCpu.addAndGet(CpuMeter.currentThreadNanos() - cpu0);
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        return new Result(ok.get(), errors.get(), elapsed, clientCpu.get());
    }

    private record StoreCost(int rounds, double wallMs, double cpuMs) {}

    /** One load + one append of a user message and a reply, as /api/chat does, on a second store. */
    private static StoreCost storeCost(SessionStoreConfig config) {
        int rounds = 5000;
        try (SessionStore store = SessionStores.open(config)) {
            for (int i = 0; i < 2000; i++) {
                round(store, "store-warm-" + (i % 64));
            }
            long cpu0 = CpuMeter.currentThreadNanos();
            long start = System.nanoTime();
            for (int i = 0; i < rounds; i++) {
                round(store, "store-bench-" + (i % 64));
            }
            return new StoreCost(rounds, (System.nanoTime() - start) / 1e6 / rounds,
                    (CpuMeter.currentThreadNanos() - cpu0) / 1e6 / rounds);
        }
    }

    private static void round(SessionStore store, String id) {
        store.load(id);
        store.append(id, List.of(ChatMessage.user(QUERY), ChatMessage.assistant("Hello! I'm doing well, thanks for asking.")));
    }

    private static long jvmNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static byte[] chatBody(String sessionId) {
        return ("{\"message\":\"" + QUERY + "\",\"sessionId\":\"" + sessionId + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    /** The /route body the backend sends for the next message of {@code sessionId}: same query, same history. */
    private static byte[] directBody(ChatBackend backend, String sessionId) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                backend.url().resolve("/api/sessions/" + sessionId)).build(), HttpResponse.BodyHandlers.ofByteArray());
        ObjectMapper json = new ObjectMapper();
        ObjectNode body = json.createObjectNode().put("query", QUERY).put("session_id", sessionId);
        ArrayNode history = body.putArray("history");
        for (JsonNode m : json.readTree(response.body()).path("messages")) {
            history.addObject().put("role", m.path("role").asText()).put("content", m.path("content").asText());
        }
        if (history.size() != HISTORY) {
            throw new IllegalStateException("expected " + HISTORY + " messages of history, got " + history.size());
        }
        return json.writeValueAsBytes(body);
    }
}
