package dev.airouter.benchmarks.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airouter.benchmarks.Stats;
import dev.airouter.testing.HttpConnection;
import dev.airouter.testing.RawHttp;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The benchmarks of issue 16 (a pool of routers behind the backend), measured in one run on one
 * machine, each against a baseline from the same run. The backends run in their own JVMs as a
 * user starts them ({@code launcher backend}, in-memory store, {@code --history-limit 10}), their
 * routers are a CPU-bound fixture ({@code cpu_router.py}: {@value #ROUTE_CPU_MS} ms of pure-Python
 * CPU per {@code /route}, holding the GIL like a classifier model, calibrated once and the same for
 * every router), and the load comes from this JVM: {@value #CONNECTIONS} kept-alive connections in
 * a closed loop ({@link ChatLoad}).
 *
 * <ol>
 *   <li>Throughput ({@link PoolThroughput}): {@code --routers 1} and {@code --routers 2} against
 *       one router driven directly and two routers driven directly at the same time.
 *   <li>Dispatch cost ({@link DispatchCost}): the backend's CPU per chat request with
 *       {@code --routers 1} against the code before the pool, when its launcher jar is given.
 *   <li>Crash under load ({@link CrashUnderLoad}): {@code kill -9} of one of two replicas: failed
 *       requests and p99 latency in the crash window against before.
 * </ol>
 * The load generator, the backends and the routers share the machine's cores (2 here), which is
 * why every ceiling is measured rather than assumed. Before anything is measured each backend gets
 * {@code -Dbench.warmup=SECONDS} (default 20) of chat with {@code [no-cpu]} queries (the router
 * skips its work, so thousands of requests warm the JIT), and each part rehearses one round.
 *
 * <p>Usage: {@code RouterPoolBenchmark [ROUNDS] [SECONDS] [BASELINE_LAUNCHER_JAR]} (defaults 3 rounds,
 * 5 s per configuration per round, no baseline jar: the dispatch cost is then reported without its
 * comparison). Many short rounds beat few long ones here: the host's speed drifts over tens of
 * seconds, and a round's configurations should see the same host. {@code benchmarks/run.sh} builds the baseline jar from the commit before the pool.
 * Needs {@code launcher/target/launcher.jar}. Prints a Markdown table, then the details fenced.
 */
public final class RouterPoolBenchmark {
    /** The launcher jar, relative to the repository root. */
    public static final String JAR = "launcher/target/launcher.jar";
    static final int CONNECTIONS = 8;
    static final int HISTORY = 10;
    static final double ROUTE_CPU_MS = 10;
    private static final int SESSIONS = 64;
    private static final String QUERY = "hello there, how are you today?";
    private static final String NO_CPU = "[no-cpu] ";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One line of the Markdown table. */
    record Row(String figure, String measured, String baseline, String ratio, String target) {}

    private final Path jar;
    private final Optional<Path> baselineJar;
    private final int rounds;
    private final Duration phase;
    private final Duration warmup;
    private final List<Row> rows = new ArrayList<>();

    /**
     * @param jar the launcher jar under test
     * @param baselineJar the launcher jar of the commit before the pool, if there is one
     * @param rounds measured rounds of each part
     * @param phase load per configuration per round (the crash part's steady stretch too, at most 5 s)
     * @param warmup {@code [no-cpu]} chat per backend before anything is measured
     */
    public RouterPoolBenchmark(Path jar, Optional<Path> baselineJar, int rounds, Duration phase, Duration warmup) {
        this.jar = jar;
        this.baselineJar = baselineJar;
        this.rounds = rounds;
        this.phase = phase;
        this.warmup = warmup;
    }

    /**
     * Runs the benchmark and prints the report.
     *
     * @param args {@code [ROUNDS] [SECONDS] [BASELINE_LAUNCHER_JAR]}
     * @throws Exception if a process cannot start or a backend stops answering
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        Duration phase = Duration.ofSeconds(args.length > 1 ? Integer.parseInt(args[1]) : 5);
        Optional<Path> baseline = args.length > 2 && !args[2].isBlank() ? Optional.of(Path.of(args[2])) : Optional.empty();
        Path jar = Path.of(JAR);
        if (!Files.isRegularFile(jar)) {
            throw new IOException("build the launcher first (mvn -B -DskipTests package): " + jar.toAbsolutePath()
                    + " is missing");
        }
        Duration warmup = Duration.ofSeconds(Integer.getInteger("bench.warmup", 20));
        System.out.print(new RouterPoolBenchmark(jar, baseline, rounds, phase, warmup).runAll());
    }

    /**
     * Runs the three parts, one after the other, and leaves no process behind.
     *
     * @return the report: a Markdown table, then the details fenced
     * @throws IOException if a process cannot start or a backend stops answering
     * @throws InterruptedException if interrupted
     */
    public String runAll() throws IOException, InterruptedException {
        StringBuilder details = new StringBuilder();
        FixtureRouter.Calibration calibration = FixtureRouter.calibrate(ROUTE_CPU_MS);
        long loops = calibration.loops();
        details.append(String.format(Locale.ROOT, "fixture router: %d loops = %.0f ms of CPU per /route (the largest of"
                + " the calibrations %s); %d cores; Java %s%n", loops, ROUTE_CPU_MS, calibration.each(),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version")));
        String command = FixtureRouter.routerCommand(loops);
        try (FixtureRouter a = FixtureRouter.start(loops); FixtureRouter b = FixtureRouter.start(loops);
                LauncherBackend one = LauncherBackend.start(jar, "routers-1", options(command, 1));
                LauncherBackend two = LauncherBackend.start(jar, "routers-2", options(command, 2))) {
            warm(one);
            warm(two);
            new PoolThroughput(a, b, one, two, rounds, phase).run(rows, details);
            new CrashUnderLoad(two, rounds, phase.compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5) : phase)
                    .run(rows, details);
        }
        String fast = FixtureRouter.routerCommand(0);
        try (LauncherBackend pooled = LauncherBackend.start(jar, "pool", options(fast, 1));
                LauncherBackend before = baselineJar.isPresent()
                        ? LauncherBackend.start(baselineJar.get(), "before-pool", options(fast, 0)) : null) {
            warm(pooled);
            if (before != null) {
                warm(before);
            }
            new DispatchCost(pooled, Optional.ofNullable(before), rounds, phase).run(rows, details);
        }
        return report(details, loops);
    }

    /** @return the table's rows so far, in order */
    public List<List<String>> rows() {
        List<List<String>> out = new ArrayList<>();
        for (Row r : rows) {
            out.add(List.of(r.figure(), r.measured(), r.baseline(), r.ratio(), r.target()));
        }
        return Collections.unmodifiableList(out);
    }

    /** {@code launcher backend} options: the fixture as the router, {@code routers} replicas (0: leave it out). */
    private static List<String> options(String routerCommand, int routers) {
        List<String> out = new ArrayList<>(List.of("--history-limit", Integer.toString(HISTORY), "--router-command",
                routerCommand));
        if (routers > 0) {
            out.addAll(List.of("--routers", Integer.toString(routers)));
        }
        return out;
    }

    /**
     * Warms a backend: every session filled to its steady-state history one turn at a time (so the
     * direct bodies can carry it), then {@code warmup} of {@code [no-cpu]} chat at full speed.
     */
    private void warm(LauncherBackend backend) throws IOException, InterruptedException {
        try (HttpConnection c = RawHttp.keepAlive("127.0.0.1", backend.port(), Duration.ofSeconds(30))) {
            for (int turn = 0; turn < HISTORY / 2; turn++) {
                for (int s = 0; s < SESSIONS; s++) {
                    int status = c.postForStatus("/api/chat", "application/json", chatBody(NO_CPU + QUERY, s));
                    if (status != 200) {
                        throw new IOException("backend " + backend.name() + " answered " + status + " while warming up;"
                                + " output:\n" + backend.lastLines());
                    }
                }
            }
        }
        ChatLoad.Result r = ChatLoad.run(ChatLoad.times(CONNECTIONS, chat(backend, false)), warmup);
        if (r.failed() > 0) {
            throw new IOException("backend " + backend.name() + ": " + r.failed() + " requests failed while warming up;"
                    + " output:\n" + backend.lastLines());
        }
    }

    /**
     * Chat to a backend, request {@code i} to session {@code i % 64}.
     *
     * @param cpu whether the router does its work ({@code false}: {@code [no-cpu]} queries)
     */
    static ChatLoad.Target chat(LauncherBackend backend, boolean cpu) {
        String query = cpu ? QUERY : NO_CPU + QUERY;
        byte[][] bodies = new byte[SESSIONS][];
        for (int s = 0; s < SESSIONS; s++) {
            bodies[s] = chatBody(query, s);
        }
        return new ChatLoad.Target(backend.port(), "/api/chat", i -> bodies[(int) (i % SESSIONS)]);
    }

    private static byte[] chatBody(String query, int session) {
        return ("{\"message\":\"" + query + "\",\"sessionId\":\"pool-" + session + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The {@code /route} body a backend sends for the next message of session {@code pool-0}: same
     * query, the same {@value #HISTORY}-message history read back from the backend.
     */
    static byte[] directBody(LauncherBackend backend) throws IOException {
        RawHttp.Response response = RawHttp.to(URI.create("http://127.0.0.1:" + backend.port()))
                .get("/api/sessions/pool-0");
        ObjectNode body = JSON.createObjectNode().put("query", QUERY).put("session_id", "pool-0");
        ArrayNode history = body.putArray("history");
        for (JsonNode m : JSON.readTree(response.body()).path("messages")) {
            history.addObject().put("role", m.path("role").asText()).put("content", m.path("content").asText());
        }
        if (history.size() != HISTORY) {
            throw new IOException("expected " + HISTORY + " messages of history in session pool-0, got " + history.size());
        }
        return JSON.writeValueAsBytes(body);
    }

    private String report(StringBuilder details, long loops) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Router pool (RouterPoolBenchmark: %d rounds of %d s per configuration,"
                + " %d connections; fixture router: %d loops = %.0f ms of pure-Python CPU per /route; in-memory store;"
                + " baselines measured in the same rounds):%n%n", rounds, phase.toSeconds(), CONNECTIONS, loops,
                ROUTE_CPU_MS));
        sb.append("| figure | measured: median (min–max) | baseline: median (min–max) | ratio or difference | target |\n");
        sb.append("|---|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append("| ").append(String.join(" | ", r.figure(), r.measured(), r.baseline(), r.ratio(), r.target()))
                    .append(" |\n");
        }
        return sb.append("\n```\n").append(details).append("```\n\n").toString();
    }

    /** @return {@code median (min–max)} of the values, each formatted with {@code format} */
    static String spread(List<Double> values, String format) {
        if (values.isEmpty()) {
            return "-";
        }
        Stats s = Stats.of(values);
        return String.format(Locale.ROOT, format, s.median()) + " (" + String.format(Locale.ROOT, format, s.min())
                + " – " + String.format(Locale.ROOT, format, s.max()) + ")";
    }

    /** @return the median alone, formatted */
    static String median(List<Double> values, String format) {
        return values.isEmpty() ? "-" : String.format(Locale.ROOT, format, Stats.of(values).median());
    }

    /** @return {@code median % (min–max %)} of ratios */
    static String percent(List<Double> ratios) {
        List<Double> p = ratios.stream().map(r -> 100 * r).toList();
        return spread(p, "%.0f %%");
    }
}
