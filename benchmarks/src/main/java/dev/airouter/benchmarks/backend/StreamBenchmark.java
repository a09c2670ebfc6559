package dev.airouter.benchmarks.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airouter.backend.BackendConfig;
import dev.airouter.backend.ChatBackend;
import dev.airouter.benchmarks.Stats;
import dev.airouter.lifecycle.HealthCheck;
import dev.airouter.lifecycle.ManagedProcess;
import dev.airouter.lifecycle.ProcessConfig;
import dev.airouter.session.SessionStoreConfig;
import dev.airouter.testing.Fixtures;
import dev.airouter.testing.FreePorts;
import dev.airouter.testing.HttpConnection;
import dev.airouter.testing.RawHttp;
import dev.airouter.testing.ResponseStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Streamed replies ({@code POST /api/chat/stream}) against the same stream read from the router
 * directly ({@code POST /route} with {@code "stream": true}), in the same run: the bundled router,
 * its language-model agent pointed at a stand-in model ({@code fake_llm.py}) that streams tokens at a
 * set pace, pauses, and records when a request was abandoned, and the backend in this JVM.
 * <ul>
 *   <li><b>time to first delta</b>: request sent → first {@code delta} event read, backend vs router
 *       directly, alternating;</li>
 *   <li><b>disconnect → the model sees the abandon</b>: the client closes after the first delta while
 *       the model pauses (silent: only watching the connection notices) or while it streams; the
 *       model's own record of the moment it noticed, against the wall-clock moment of the close;</li>
 *   <li><b>deltas per second</b> passed through at 1 and 32 concurrent streams, backend vs direct;</li>
 *   <li><b>memory per open stream</b>: heap (after GC) and threads with N streams open and the model
 *       paused, over N.</li>
 * </ul>
 */
public final class StreamBenchmark {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String AGENT = "information-retrieval";

    private final URI llm;
    private final ChatBackend backend;
    private final URI router;

    private StreamBenchmark(URI llm, ChatBackend backend) {
        this.llm = llm;
        this.backend = backend;
        this.router = backend.routerStatus().url();
    }

    /**
     * @param args rounds (default 5), iterations per round for latencies (default 40), seconds per
     *     throughput run (default 5), open streams for the memory figure (default 200), warm-up requests
     *     per path (default 1000)
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int iterations = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int open = args.length > 3 ? Integer.parseInt(args[3]) : 200;
        int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 1000;
        Path routerDir = Path.of("python-router").toAbsolutePath();
        if (!Files.isRegularFile(routerDir.resolve("ai_router").resolve("__main__.py"))) {
            throw new IllegalStateException("run from the repository root: " + routerDir + " has no ai_router");
        }
        System.out.println(run(routerDir, rounds, iterations, seconds, open, warmup));
    }

    /**
     * Starts the stand-in model and a backend with the bundled router from {@code routerDir}, measures,
     * stops both.
     *
     * @return the Markdown report
     * @throws Exception on failure
     */
    static String run(Path routerDir, int rounds, int iterations, int seconds, int open, int warmup) throws Exception {
        Path logs = Files.createTempDirectory("airouter-bench-stream-");
        int port = FreePorts.next();
        try (ManagedProcess model = ManagedProcess.create(ProcessConfig.builder("fake-llm").command(Fixtures.fakeLlm(port))
                .healthCheck(HealthCheck.http("http://127.0.0.1:" + port + "/health"))
                .startupTimeout(Duration.ofSeconds(20)).logFile(logs.resolve("fake-llm.log")).build())) {
            model.ensureRunning();
            URI llm = URI.create("http://127.0.0.1:" + port);
            BackendConfig config = BackendConfig.builder().port(0).routerPort(0).routerDirectory(routerDir).logDir(logs)
                    .shutdownHook(false).storeConfig(SessionStoreConfig.builder().redisUrl("none").build())
                    .routerEnvironment(Map.of("ROUTER_LLM_URL", llm + "/v1")).maxInFlight(Math.max(64, open + 32))
                    .build();
            try (ChatBackend backend = ChatBackend.create(config).start()) {
                return new StreamBenchmark(llm, backend).report(rounds, iterations, seconds, open, warmup);
            }
        }
    }

    String report(int rounds, int iterations, int seconds, int open, int warmup) throws Exception {
        StringBuilder details = new StringBuilder();
        // warm both paths (JIT, connections, the router's imports): the backend's path (Undertow, Jackson,
        // OkHttp, the store) runs interpreted or half-compiled for hundreds of requests, the raw client's
        // direct path much sooner; 50 requests left the backend's first-delta figure ~0.5 ms high
        configure(Map.of("tokens", 5, "rate", 0, "pause_after", -1, "pause_ms", 0, "first_token_delay_ms", 0));
        for (int i = 0; i < warmup; i++) {
            firstDelta(true);
            firstDelta(false);
        }
        List<Double> viaBackend = new ArrayList<>();
        List<Double> direct = new ArrayList<>();
        List<Double> added = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            List<Double> b = new ArrayList<>();
            List<Double> d = new ArrayList<>();
            for (int i = 0; i < iterations; i++) {
                b.add(firstDelta(true));
                d.add(firstDelta(false));
            }
            viaBackend.addAll(b);
            direct.addAll(d);
            added.add(Stats.of(b).median() - Stats.of(d).median());
            details.append(String.format(Locale.ROOT, "round %d: first delta via backend %.2f ms, direct %.2f ms (medians"
                    + " of %d)%n", r + 1, Stats.of(b).median(), Stats.of(d).median(), iterations));
        }
        // abandon: the model silent (a 30 s pause after the first token), then streaming at 50 tokens/s
        int abandons = Math.max(5, iterations / 4);
        List<Double> silentBackend = new ArrayList<>();
        List<Double> silentDirect = new ArrayList<>();
        List<Double> streamingBackend = new ArrayList<>();
        configure(Map.of("tokens", 10, "rate", 0, "pause_after", 1, "pause_ms", 30_000));
        for (int i = 0; i < abandons; i++) {
            silentBackend.add(abandon(true));
            silentDirect.add(abandon(false));
        }
        configure(Map.of("tokens", 100_000, "rate", 50, "pause_after", -1, "pause_ms", 0));
        for (int i = 0; i < abandons; i++) {
            streamingBackend.add(abandon(true));
        }
        // throughput
        configure(Map.of("tokens", 2000, "rate", 0, "pause_after", -1, "pause_ms", 0));
        StringBuilder throughput = new StringBuilder();
        for (int streams : new int[] {1, 32}) {
            List<Double> b = new ArrayList<>();
            List<Double> d = new ArrayList<>();
            for (int r = 0; r < Math.max(1, rounds / 2); r++) {
                b.add(deltasPerSecond(true, streams, seconds));
                d.add(deltasPerSecond(false, streams, seconds));
            }
            Stats sb = Stats.of(b);
            Stats sd = Stats.of(d);
            throughput.append(String.format(Locale.ROOT, "| %d | %,.0f (%,.0f–%,.0f) | %,.0f (%,.0f–%,.0f) | %.0f %% |%n",
                    streams, sb.median(), sb.min(), sb.max(), sd.median(), sd.min(), sd.max(), 100 * sb.median() / sd.median()));
        }
        double[] memory = memoryPerStream(open);

        Stats sb = Stats.of(viaBackend);
        Stats sd = Stats.of(direct);
        Stats sa = Stats.of(added);
        StringBuilder out = new StringBuilder();
        out.append("| figure | via the backend | from the router directly | |\n|---|---|---|---|\n");
        out.append(String.format(Locale.ROOT, "| time to first delta (median, p10–p90) | %.2f ms (%.2f–%.2f) | %.2f ms"
                + " (%.2f–%.2f) | added %.2f ms (per-round medians %.2f–%.2f; target ≤ 2 ms) |%n", sb.median(),
                sb.quantile(0.1), sb.quantile(0.9), sd.median(), sd.quantile(0.1), sd.quantile(0.9), sa.median(),
                sa.min(), sa.max()));
        Stats ab = Stats.of(silentBackend);
        Stats ad = Stats.of(silentDirect);
        Stats as = Stats.of(streamingBackend);
        out.append(String.format(Locale.ROOT, "| disconnect → the model sees the abandon, model silent (median, p90, max)"
                + " | %.1f ms (%.1f, %.1f) | %.1f ms (%.1f, %.1f) | target ≤ 100 ms |%n", ab.median(), ab.quantile(0.9),
                ab.max(), ad.median(), ad.quantile(0.9), ad.max()));
        out.append(String.format(Locale.ROOT, "| disconnect → the model sees the abandon, model streaming 50 tokens/s"
                + " (median, p90, max) | %.1f ms (%.1f, %.1f) | – | |%n", as.median(), as.quantile(0.9), as.max()));
        out.append(String.format(Locale.ROOT, "| memory per open stream (%d open, model paused) | %.1f KiB heap, %.2f"
                + " threads busy | – | |%n%n", open, memory[0] / 1024, memory[1]));
        out.append("| concurrent streams | deltas/s via the backend (median, min–max) | deltas/s direct | backend/direct |\n");
        out.append("|---|---|---|---|\n").append(throughput).append('\n');
        out.append("The bundled router with its language-model agent (" + AGENT + ") pointed at the stand-in model"
                + " (fake_llm.py); the backend in the benchmark's JVM, in-memory store. Time to first delta: " + rounds
                + " rounds of " + iterations + " alternating requests on keep-alive connections, after " + warmup
                + " of each to warm up, the model answering at"
                + " once (5 tokens). Abandon: " + abandons + " disconnects each, after the first delta; the model's"
                + " record of when it noticed, minus the wall-clock moment the client closed. Throughput: a model"
                + " streaming 2,000 tokens as fast as it can, " + seconds + " s per run; the router and the model are"
                + " Python on the same 2 cores, so they bound both columns. Command: `java -cp"
                + " \"benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)\""
                + " dev.airouter.benchmarks.backend.StreamBenchmark " + rounds + " " + iterations + " " + seconds + " "
                + open + " " + warmup + "` from the repository root.\n\n");
        out.append("```\n").append(details).append("```\n");
        return out.toString();
    }

    private void configure(Map<String, Object> config) throws Exception {
        RawHttp.Response r = RawHttp.to(llm).postJson("/config", MAPPER.writeValueAsString(config));
        if (r.status() != 200) {
            throw new IllegalStateException("the stand-in model refused its configuration: " + r.text());
        }
    }

    private ResponseStream open(HttpConnection c, boolean viaBackend) throws Exception {
        byte[] body = viaBackend
                ? MAPPER.writeValueAsBytes(Map.of("message", "Find the latest news", "agent", AGENT,
                        "sessionId", "bench-" + UUID.randomUUID()))
                : MAPPER.writeValueAsBytes(Map.of("query", "Find the latest news", "agent", AGENT, "stream", true));
        ResponseStream s = c.stream("POST", viaBackend ? "/api/chat/stream" : "/route",
                Map.of("Content-Type", "application/json"), body);
        if (s.status() != 200) {
            throw new IllegalStateException((viaBackend ? "the backend" : "the router") + " answered " + s.status());
        }
        return s;
    }

    private HttpConnection connection(boolean viaBackend) {
        return RawHttp.keepAlive(viaBackend ? backend.url() : router, WAIT);
    }

    private final HttpConnection[] warm = new HttpConnection[2];

    /** @return ms from sending the request to reading the first delta; the rest of the stream is read too */
    private double firstDelta(boolean viaBackend) throws Exception {
        int k = viaBackend ? 0 : 1;
        if (warm[k] == null || !warm[k].isOpen()) {
            warm[k] = connection(viaBackend);
        }
        long t0 = System.nanoTime();
        double millis = Double.NaN;
        try (ResponseStream s = open(warm[k], viaBackend)) {
            Optional<ResponseStream.ServerSentEvent> e;
            while ((e = s.nextEvent(WAIT)).isPresent()) {
                if (Double.isNaN(millis) && e.get().event().equals("delta")) {
                    millis = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        return millis;
    }

    /** @return ms from the client's close to the model noticing */
    private double abandon(boolean viaBackend) throws Exception {
        RawHttp.to(llm).send("DELETE", "/requests", Map.of(), null);
        long closedNs;
        try (HttpConnection c = connection(viaBackend); ResponseStream s = open(c, viaBackend)) {
            while (!s.nextEvent(WAIT).orElseThrow().event().equals("delta")) {
                // meta first
            }
            Instant now = Instant.now();
            closedNs = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        } // closes the connection
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode requests = MAPPER.readTree(RawHttp.to(llm).get("/requests").body()).path("requests");
            if (requests.size() == 1 && requests.get(0).path("outcome").asText().equals("abandoned")) {
                return (requests.get(0).path("ended_ns").asLong() - closedNs) / 1e6;
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException("the model did not see the client leave within " + WAIT.toSeconds() + " s");
    }

    private double deltasPerSecond(boolean viaBackend, int streams, int seconds) throws Exception {
        AtomicLong deltas = new AtomicLong();
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(streams);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                running.add(pool.submit(() -> {
                    try (HttpConnection c = connection(viaBackend)) {
                        while (System.nanoTime() < end) {
                            try (ResponseStream s = open(c, viaBackend)) {
                                Optional<ResponseStream.ServerSentEvent> e;
                                while (System.nanoTime() < end && (e = s.nextEvent(WAIT)).isPresent()) {
                                    if (e.get().event().equals("delta")) {
                                        deltas.incrementAndGet();
                                    }
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return deltas.get() / (double) seconds;
    }

    /**
     * @return {heap bytes, threads} per open stream; the clients are plain sockets (a few hundred
     *     bytes of heap each, counted in), so the figure is the backend's
     */
    private double[] memoryPerStream(int open) throws Exception {
        configure(Map.of("tokens", 10, "rate", 0, "pause_after", 1, "pause_ms", 120_000));
        byte[] body = MAPPER.writeValueAsBytes(Map.of("message", "Find the latest news", "agent", AGENT));
        byte[] request = ("POST /api/chat/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        long heapBefore = heapAfterGc();
        int threadsBefore = streamThreads();
        List<java.net.Socket> sockets = new ArrayList<>();
        try {
            byte[] buffer = new byte[8192];
            for (int i = 0; i < open; i++) {
                java.net.Socket s = new java.net.Socket("127.0.0.1", backend.port());
                sockets.add(s);
                s.setSoTimeout((int) WAIT.toMillis());
                s.getOutputStream().write(request);
                s.getOutputStream().write(body);
                StringBuilder seen = new StringBuilder();
                while (seen.indexOf("event: delta") < 0) { // the model pauses after the first token
                    int n = s.getInputStream().read(buffer);
                    if (n < 0) {
                        throw new IllegalStateException("stream " + i + " ended early: " + seen);
                    }
                    seen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                }
            }
            long heapDuring = heapAfterGc();
            int threadsDuring = streamThreads();
            return new double[] {(heapDuring - heapBefore) / (double) open, (threadsDuring - threadsBefore) / (double) open};
        } finally {
            for (java.net.Socket s : sockets) {
                s.close();
            }
        }
    }

    /**
     * Threads busy with a stream (a frame of the backend's stream code on their stack): pooled threads
     * idle since the warm-up would hide new ones from a plain thread count.
     */
    private static int streamThreads() {
        int busy = 0;
        for (StackTraceElement[] stack : Thread.getAllStackTraces().values()) {
            for (StackTraceElement frame : stack) {
                if (frame.getClassName().startsWith("dev.airouter.backend.ChatStream")) {
                    busy++;
                    break;
                }
            }
        }
        return busy;
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
