package dev.airouter.benchmarks.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airouter.backend.BackendConfig;
import dev.airouter.backend.ChatBackend;
import dev.airouter.benchmarks.Stats;
import dev.airouter.session.ChatMessage;
import dev.airouter.session.SessionStore;
import dev.airouter.session.SessionStoreConfig;
import dev.airouter.session.SessionStores;
import dev.airouter.testing.HttpConnection;
import dev.airouter.testing.RawHttp;
import dev.airouter.testing.RedisServer;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
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
 *   <li>Throughput at 8 connections: {@code ROUNDS} pairs of {@code SECONDS} direct then
 *       {@code SECONDS} backend; the backend/direct ratio per pair, its median and spread.
 *   <li>CPU per request in the backend phases: the backend's threads (ThreadMXBean, see
 *       {@link CpuMeter}), the whole JVM minus the load generator's threads (an upper bound that also
 *       counts JIT and GC), the router process ({@code /proc/<pid>/stat}), and a breakdown by
 *       thread group with context switches, which is what bounds the backend on 2 cores.
 *   <li>Session-store share: one {@code load} + one two-message {@code append} (what a chat request
 *       does) timed directly against a second store instance of the same kind.
 * </ul>
 * Fairness: direct calls carry exactly the 10-message history the backend sends at steady state
 * (the store keeps 10 messages here; the body is built from a real session), and the same query. Load generator, backend and router share the
 * machine's cores.
 *
 * <p>Warm-up: {@code -Dbench.warmup=SECONDS} (default 20) of load on each path before anything is
 * measured. On 2 cores the JIT compiler otherwise takes a large share of the CPU in the first
 * minute (profiled: C2 still compiling Undertow, OkHttp, Netty and Jackson paths after 15 s) and the
 * figures would measure the compiler, not the backend.
 *
 * <p>Usage: {@code BackendLoadBenchmark [SECONDS] [memory|redis] [ROUNDS]} (defaults 5, 3 rounds, and redis when
 * {@code redis-server} is installed). The backend's access log is off unless
 * {@code -Dorg.slf4j.simpleLogger.log.dev.airouter.backend.access=info}.
 */
public final class BackendLoadBenchmark {
    private static final String QUERY = "hello there, how are you today?";
    private static final int HISTORY = 10;
    private static final int LATENCY_BLOCK = 200;
    private static final int LATENCY_BLOCKS = 10;
    private static final int CONNECTIONS = 8;
    private static final int WARMUP_SECONDS = Integer.getInteger("bench.warmup", 20);
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);

    private BackendLoadBenchmark() {}

    /**
     * Runs the benchmark and prints the figures.
     *
     * @param args {@code [SECONDS] [memory|redis] [ROUNDS]}
     * @throws Exception if the backend cannot start or a request fails
     */
    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.log.dev.airouter.backend.access",
                System.getProperty("org.slf4j.simpleLogger.log.dev.airouter.backend.access", "warn"));
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        boolean redis = args.length > 1 ? args[1].equals("redis") : RedisServer.isInstalled();
        try (RedisServer server = redis ? RedisServer.start() : null) {
            SessionStoreConfig store = SessionStoreConfig.builder().redisUrl(redis ? server.url() : "none")
                    .connectTimeout(Duration.ofSeconds(5)).historyLimit(HISTORY).build();
            Path routerDir = Files.isDirectory(Path.of("python-router")) ? Path.of("python-router") : Path.of("../python-router");
            try (ChatBackend backend = ChatBackend.create(BackendConfig.builder().port(0).routerPort(0)
                    .routerDirectory(routerDir).logDir(Files.createTempDirectory("airouter-bench-")).storeConfig(store)
                    .shutdownHook(false).build()).start()) {
                String wanted = redis ? "redis" : "memory";
                if (!backend.storeBackend().equals(wanted)) {
                    throw new IllegalStateException("the backend opened the " + backend.storeBackend()
                            + " store, not " + wanted + "; figures would be mislabelled");
                }
                new BackendLoadBenchmark().run(backend, store, seconds, rounds, redis ? server.pid() : -1);
            }
        }
    }

    private void run(ChatBackend backend, SessionStoreConfig storeConfig, int seconds, int rounds, long redisPid)
            throws Exception {
        int routerPort = backend.routerUrl().getPort();
        long routerPid = backend.routerStatus().pid().orElseThrow();
        System.out.println("```");
        System.out.printf(Locale.ROOT, "backend %s, router %s (pid %d), store %s, %d cores, Java %s%n",
                backend.url(), backend.routerUrl(), routerPid, backend.storeBackend(),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));

        // warm-up: JIT for both paths, and every benchmark session filled to its steady-state history;
        // the direct calls then carry exactly the history the backend sends
        Load toBackend = i -> chatBody("bench-" + (i % 64));
        throughput("127.0.0.1", backend.port(), "/api/chat", toBackend, WARMUP_SECONDS);
        try (HttpConnection b = connection("127.0.0.1", backend.port())) {
            for (int i = 0; i < HISTORY; i++) {
                post(b, "/api/chat", chatBody("bench-latency"));
            }
        }
        byte[] direct = directBody(backend, "bench-latency");
        Load toRouter = i -> direct;
        throughput("127.0.0.1", routerPort, "/route", toRouter, WARMUP_SECONDS);

        // rehearsal, not measured: one pass of exactly what is measured below (1-connection blocks,
        // then a direct/backend pair at 8 connections). Switching between these shapes of load sends
        // C2 back to compiling for tens of seconds (profiled: about 1,000 compilations, 0.1-0.2 ms of
        // compiler CPU per request, inside the first measured rounds); that is start-up, not what the
        // backend costs in steady state.
        latencyBlocks(routerPort, toRouter, backend.port(), new ArrayList<>(), new ArrayList<>());
        throughput("127.0.0.1", routerPort, "/route", toRouter, seconds);
        throughput("127.0.0.1", backend.port(), "/api/chat", toBackend, seconds);

        List<Double> directMs = new ArrayList<>();
        List<Double> backendMs = new ArrayList<>();
        latencyBlocks(routerPort, toRouter, backend.port(), directMs, backendMs);
        Stats d = Stats.of(directMs);
        Stats bk = Stats.of(backendMs);
        System.out.printf(Locale.ROOT, "%nLatency, 1 connection, %d requests each (ms):%n", directMs.size());
        System.out.printf(Locale.ROOT, "  direct /route     median %.3f  p90 %.3f  p99 %.3f%n", d.median(), d.p90(), d.quantile(0.99));
        System.out.printf(Locale.ROOT, "  backend /api/chat median %.3f  p90 %.3f  p99 %.3f%n", bk.median(), bk.p90(), bk.quantile(0.99));
        System.out.printf(Locale.ROOT, "  added by backend  median %.3f        p99 %.3f%n",
                bk.median() - d.median(), bk.quantile(0.99) - d.quantile(0.99));

        // throughput: ROUNDS pairs of (direct, backend) back to back, so drift hits both; the ratio is
        // taken per pair and its median reported. CPU figures are summed over the backend phases.
        List<Double> ratios = new ArrayList<>();
        List<Double> directRates = new ArrayList<>();
        List<Double> backendRates = new ArrayList<>();
        long directRequests = 0;
        long routerCpuDirect = 0;
        long backendRequests = 0;
        long errors = 0;
        long jvmCpuNanos = 0;
        long routerCpuNanos = 0;
        long redisCpuNanos = 0;
        Map<String, long[]> groups = new LinkedHashMap<>();
        Map<String, Long> kernel = new TreeMap<>();
        for (int round = 1; round <= rounds; round++) {
            long routerCpu0 = CpuMeter.processNanos(routerPid);
            Result directRun = throughput("127.0.0.1", routerPort, "/route", toRouter, seconds);
            routerCpuDirect += CpuMeter.processNanos(routerPid) - routerCpu0;
            directRequests += directRun.requests;

            Map<String, long[]> groups0 = CpuMeter.byGroup();
            Map<String, Long> kernel0 = CpuMeter.byKernelName();
            long jvm0 = CpuMeter.jvmNanos();
            long router0 = CpuMeter.processNanos(routerPid);
            long redis0 = redisPid > 0 ? CpuMeter.processNanos(redisPid) : 0;
            long phaseStart = System.nanoTime();
            Result backendRun = throughput("127.0.0.1", backend.port(), "/api/chat", toBackend, seconds);
            // CLOCK_MONOTONIC, for profilers: perf record -k CLOCK_MONOTONIC …; perf report --time START,END
            System.err.printf(Locale.ROOT, "round %d backend phase (CLOCK_MONOTONIC s): %.6f,%.6f%n", round,
                    phaseStart / 1e9, System.nanoTime() / 1e9);
            jvmCpuNanos += CpuMeter.jvmNanos() - jvm0 - backendRun.clientCpuNanos;
            routerCpuNanos += CpuMeter.processNanos(routerPid) - router0;
            redisCpuNanos += redisPid > 0 ? CpuMeter.processNanos(redisPid) - redis0 : 0;
            for (Map.Entry<String, long[]> end : CpuMeter.byGroup().entrySet()) {
                long[] start = groups0.get(end.getKey());
                long[] sum = groups.computeIfAbsent(end.getKey(), k -> new long[2]);
                sum[0] += end.getValue()[0] - start[0];
                sum[1] += end.getValue()[1] - start[1];
            }
            CpuMeter.byKernelName().forEach((name, end) -> kernel.merge(name, end - kernel0.getOrDefault(name, 0L), Long::sum));
            backendRequests += backendRun.requests;
            errors += directRun.errors + backendRun.errors;
            directRates.add(directRun.perSecond());
            backendRates.add(backendRun.perSecond());
            ratios.add(backendRun.perSecond() / directRun.perSecond());
        }
        Stats ratio = Stats.of(ratios);
        double perRequest = 1e6 * backendRequests;
        System.out.printf(Locale.ROOT, "%nThroughput, %d connections, %d rounds of %d s each (req/s per round):%n",
                CONNECTIONS, rounds, seconds);
        System.out.printf(Locale.ROOT, "  direct /route      %s (median %.0f)%n", rates(directRates), Stats.of(directRates).median());
        System.out.printf(Locale.ROOT, "  backend /api/chat  %s (median %.0f)%n", rates(backendRates), Stats.of(backendRates).median());
        System.out.printf(Locale.ROOT, "  backend/direct per round: median %.0f %% (min %.0f %%, max %.0f %%); %d errors%n",
                100 * ratio.median(), 100 * ratio.min(), 100 * ratio.max(), errors);

        StoreCost store = storeCost(storeConfig);
        double backendCpu = groups.values().stream().mapToLong(sum -> sum[0]).sum() / perRequest;
        System.out.printf(Locale.ROOT, "%nCPU per request (backend phases, ms):%n");
        System.out.printf(Locale.ROOT, "  backend threads (IO, workers, OkHttp, store, router log pump)  %.3f%n", backendCpu);
        System.out.printf(Locale.ROOT, "  whole JVM minus load generator (incl. JIT, GC)                 %.3f%n", jvmCpuNanos / perRequest);
        System.out.printf(Locale.ROOT, "  router process, via backend                                    %.3f%n", routerCpuNanos / perRequest);
        System.out.printf(Locale.ROOT, "  router process, direct /route                                  %.3f%n",
                routerCpuDirect / 1e6 / directRequests);
        if (redisPid > 0) {
            System.out.printf(Locale.ROOT, "  redis-server process                                           %.3f%n", redisCpuNanos / perRequest);
        }
        System.out.printf(Locale.ROOT, "  by thread group (CPU ms / context switches per request):");
        groups.forEach((name, sum) -> System.out.printf(Locale.ROOT, " %s %.3f / %.1f;", name, sum[0] / perRequest,
                sum[1] * 1e6 / perRequest));
        System.out.println();
        System.out.printf(Locale.ROOT, "  all JVM threads by name, top 8 (CPU ms per request, 10 ms ticks):");
        kernel.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(8)
                .forEach(e -> System.out.printf(Locale.ROOT, " %s %.3f;", e.getKey(), e.getValue() / perRequest));
        System.out.println();
        System.out.printf(Locale.ROOT, "%nSession store (%s), load + append of 2 messages, %d rounds on one thread:%n",
                storeConfig.isRedisDisabled() ? "memory" : "redis", store.rounds);
        System.out.printf(Locale.ROOT, "  wall %.3f ms, client CPU %.3f ms per request = %.0f %% of the backend's CPU,"
                + " %.0f %% of its added median latency%n", store.wallMs, store.cpuMs, 100 * store.cpuMs / backendCpu,
                100 * store.wallMs / Math.max(1e-9, bk.median() - d.median()));
        System.out.println("```");
        String store0 = storeConfig.isRedisDisabled() ? "memory" : "redis";
        System.out.println();
        System.out.printf(Locale.ROOT, "| %s store | backend | direct /route (baseline) | backend vs direct | target |%n", store0);
        System.out.println("|---|---|---|---|---|");
        System.out.printf(Locale.ROOT, "| latency at 1 connection, median / p99 | %.2f / %.2f ms | %.2f / %.2f ms | +%.2f ms at the median"
                + " | <= 1 ms added |%n", bk.median(), bk.quantile(0.99), d.median(), d.quantile(0.99), bk.median() - d.median());
        System.out.printf(Locale.ROOT, "| throughput at %d connections, median of %d rounds (min–max) | %.0f req/s | %.0f req/s"
                + " | %.0f %% (%.0f–%.0f %%) | >= 65 %% (< 50 %% a defect) |%n", CONNECTIONS, rounds,
                Stats.of(backendRates).median(), Stats.of(directRates).median(), 100 * ratio.median(), 100 * ratio.min(),
                100 * ratio.max());
        System.out.printf(Locale.ROOT, "| CPU per request: backend threads (whole JVM) vs the router's | %.3f (%.3f) ms | router %.3f ms"
                + " | %.0f %% (%.0f %%) of the router's | well under the router's |%n", backendCpu, jvmCpuNanos / perRequest,
                routerCpuNanos / perRequest, 100 * backendCpu / (routerCpuNanos / perRequest),
                100 * (jvmCpuNanos / perRequest) / (routerCpuNanos / perRequest));
        System.out.printf(Locale.ROOT, "| session store share: load + append, wall / client CPU | %.3f / %.3f ms | - | %.0f %% of the added"
                + " median latency, %.0f %% of the backend's CPU | - |%n", store.wallMs, store.cpuMs,
                100 * store.wallMs / Math.max(1e-9, bk.median() - d.median()), 100 * store.cpuMs / backendCpu);
        System.out.println();
    }

    /** A request body for request number {@code i}. */
    @FunctionalInterface
    private interface Load {
        byte[] body(long i);
    }

    /** Alternating blocks of direct and backend requests on one connection each, so drift hits both. */
    private static void latencyBlocks(int routerPort, Load toRouter, int backendPort, List<Double> directMs,
            List<Double> backendMs) throws IOException {
        try (HttpConnection r = connection("127.0.0.1", routerPort);
                HttpConnection b = connection("127.0.0.1", backendPort)) {
            for (int block = 0; block < LATENCY_BLOCKS; block++) {
                latencies(r, "/route", toRouter, directMs);
                latencies(b, "/api/chat", i -> chatBody("bench-latency"), backendMs);
            }
        }
    }

    private static void latencies(HttpConnection client, String path, Load load, List<Double> into) throws IOException {
        for (int i = 0; i < LATENCY_BLOCK; i++) {
            byte[] body = load.body(i);
            long start = System.nanoTime();
            int status = post(client, path, body);
            into.add((System.nanoTime() - start) / 1e6);
            if (status != 200) {
                throw new IOException(path + " answered " + status);
            }
        }
    }

    /**
     * A load connection: one kept-alive socket per load thread, each request in a single write with
     * {@code TCP_NODELAY} (no Nagle/delayed-ACK stall of the client's own), the response read for its
     * status and skipped without being kept ({@link HttpConnection#postForStatus}, which allocates
     * nothing per request, so the load generator stays a small share of the CPU it shares).
     */
    private static HttpConnection connection(String host, int port) {
        return RawHttp.keepAlive(host, port, CLIENT_TIMEOUT);
    }

    /** POSTs a JSON body and returns the status; on failure the connection is reopened by the next call. */
    private static int post(HttpConnection connection, String path, byte[] json) throws IOException {
        return connection.postForStatus(path, "application/json", json);
    }

    private record Result(long requests, long errors, double seconds, long clientCpuNanos) {
        double perSecond() {
            return requests / seconds;
        }
    }

    private static String rates(List<Double> rates) {
        StringBuilder out = new StringBuilder();
        for (double r : rates) {
            out.append(String.format(Locale.ROOT, "%6.0f", r));
        }
        return out.toString();
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
                try (HttpConnection client = connection(host, port)) {
                    while (System.nanoTime() < end) {
                        try {
                            if (post(client, path, load.body(counter.getAndIncrement())) == 200) {
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
