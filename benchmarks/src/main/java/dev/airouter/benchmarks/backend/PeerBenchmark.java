package dev.airouter.benchmarks.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airouter.benchmarks.Stats;
import dev.airouter.lifecycle.HealthCheck;
import dev.airouter.lifecycle.ManagedProcess;
import dev.airouter.lifecycle.ProcessConfig;
import dev.airouter.testing.Fixtures;
import dev.airouter.testing.FreePorts;
import dev.airouter.testing.RawHttp;
import dev.airouter.testing.RedisServer;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * airouter against the stack it replaces: {@code launcher backend} (its own JVM, as users run it)
 * and an Express 5 + node-redis 5 backend doing the same job ({@code benchmarks/peers/express}, its
 * own Node process), both in front of <b>one</b> bundled router process, with the router's
 * {@code /route} called directly as the baseline — on the in-memory store and on one
 * {@code redis-server}. The load comes from Debian's {@code wrk} (its own process): 64 rotating
 * sessions whose histories are at the default limit (20 messages, after a warm-up that also fills
 * them), the direct calls carrying a real 20-message history taken from one of those sessions.
 *
 * <p>Per store: a warm-up of each target, then {@code ROUNDS} rounds; in each round every target (in
 * an order that rotates) gets a throughput phase (8 connections) and a latency phase (1
 * connection). Reported per round and as medians: requests/s at 8 connections, p50/p99 latency at
 * 1 connection and the median added to the direct call, and CPU per request of the backend process
 * ({@code /proc/<pid>/stat}: the whole JVM, the whole Node process) during the throughput phase.
 *
 * <p>Usage: {@code PeerBenchmark LAUNCHER_JAR [SECONDS=10] [ROUNDS=3] [STORES=memory,redis]
 * [WARMUP_SECONDS=30]} from the repository root, after {@code mvn package} and {@code npm ci} in
 * {@code benchmarks/peers/express} (which {@code benchmarks/run.sh} does).
 */
public final class PeerBenchmark {
    static final String QUERY = "hello there, how are you today?";
    static final int SESSIONS = 64;
    static final int HISTORY = 20;
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Path ROUTER_DIR = Path.of("python-router");
    private static final Path PEER_DIR = Path.of("benchmarks", "peers", "express");

    private PeerBenchmark() {}

    /** One load target: a URL path to POST to, and the process whose CPU is the backend's (none for direct). */
    private record Target(String name, URI url, String path, long pid, List<String> bodies) {}

    /** What one wrk run reported. */
    record WrkResult(double requestsPerSecond, long requests, double p50Millis, double p99Millis, long non2xx,
            long socketErrors) {}

    /**
     * @param args {@code LAUNCHER_JAR [SECONDS] [ROUNDS] [STORES] [WARMUP_SECONDS]}
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: PeerBenchmark LAUNCHER_JAR [SECONDS=10] [ROUNDS=3] [STORES=memory,redis] [WARMUP_SECONDS=30]");
            System.exit(2);
        }
        Path jar = Path.of(args[0]);
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        List<String> stores = List.of((args.length > 3 ? args[3] : "memory,redis").split(","));
        int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 30;
        System.out.println(run(jar, seconds, rounds, stores, warmup));
    }

    /**
     * Runs everything and returns the Markdown report.
     *
     * @throws Exception on failure (a missing prerequisite names what to install)
     */
    static String run(Path jar, int seconds, int rounds, List<String> stores, int warmup) throws Exception {
        require(Files.isRegularFile(jar), "no launcher jar at " + jar + " (run mvn -DskipTests package)");
        require(Files.isExecutable(Path.of("/usr/bin/wrk")), "wrk is not installed (apt-get install wrk)");
        require(Files.isDirectory(PEER_DIR.resolve("node_modules")), "the Express peer's dependencies are missing:"
                + " run `npm ci` in " + PEER_DIR);
        require(Files.isRegularFile(ROUTER_DIR.resolve("ai_router").resolve("__main__.py")),
                "run from the repository root (no python-router/ai_router here)");
        Path logs = Files.createTempDirectory("airouter-bench-peer-");
        StringBuilder out = new StringBuilder();
        int routerPort = FreePorts.next();
        try (ManagedProcess router = ManagedProcess.create(ProcessConfig.builder("ai-router")
                .command(Fixtures.python(), "-m", "ai_router", "--port", Integer.toString(routerPort))
                .workingDirectory(ROUTER_DIR.toAbsolutePath())
                .healthCheck(HealthCheck.http("http://127.0.0.1:" + routerPort + "/health"))
                .startupTimeout(Duration.ofSeconds(30)).logFile(logs.resolve("router.log")).build())) {
            router.ensureRunning();
            URI routerUrl = URI.create("http://127.0.0.1:" + routerPort);
            long routerPid = router.status().pid().orElseThrow();
            for (String store : stores) {
                out.append(runStore(jar, store.trim(), routerUrl, routerPid, logs, seconds, rounds, warmup));
            }
        }
        out.append("One bundled router process for all three; `launcher backend --router-url` (its own JVM, default"
                + " options) and the Express peer (`node server.js`, NODE_ENV=production) each in their own process;"
                + " wrk as the load (2 threads, 8 connections for throughput; 1 thread, 1 connection for latency), "
                + SESSIONS + " rotating sessions at the default history limit (" + HISTORY + "), the direct calls with"
                + " a real " + HISTORY + "-message history. " + seconds + " s per phase, " + rounds + " rounds, targets"
                + " in rotating order, " + warmup + " s of warm-up per target. CPU per request: the backend process's"
                + " user + system time during the throughput phase over the requests served. Command: `java -cp"
                + " \"benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)\""
                + " dev.airouter.benchmarks.backend.PeerBenchmark " + jar + " " + seconds + " " + rounds + " "
                + String.join(",", stores) + " " + warmup + "` from the repository root.\n");
        return out.toString();
    }

    private static String runStore(Path jar, String store, URI routerUrl, long routerPid, Path logs, int seconds,
            int rounds, int warmup) throws Exception {
        RedisServer redis = null;
        String redisUrl = "none";
        if (store.equals("redis")) {
            require(RedisServer.isInstalled(), "redis-server is not installed (apt-get install redis-server)");
            redis = RedisServer.start();
            redisUrl = redis.url();
        } else if (!store.equals("memory")) {
            throw new IllegalArgumentException("store must be memory or redis, not " + store);
        }
        int peerPort = FreePorts.next();
        Map<String, String> peerEnv = new LinkedHashMap<>();
        peerEnv.put("PORT", Integer.toString(peerPort));
        peerEnv.put("ROUTER_URL", routerUrl.toString());
        peerEnv.put("REDIS_URL", redisUrl);
        peerEnv.put("NODE_ENV", "production");
        try (LauncherBackend airouter = LauncherBackend.startWith(jar, "airouter-" + store,
                List.of("--router-url", routerUrl.toString(), "--redis-url", redisUrl));
                ManagedProcess peer = ManagedProcess.create(ProcessConfig.builder("express-peer")
                        .command("node", "server.js").workingDirectory(PEER_DIR.toAbsolutePath()).environment(peerEnv)
                        .healthCheck(HealthCheck.http("http://127.0.0.1:" + peerPort + "/health"))
                        .startupTimeout(Duration.ofSeconds(30)).logFile(logs.resolve("peer-" + store + ".log")).build())) {
            peer.ensureRunning();
            URI airouterUrl = URI.create("http://127.0.0.1:" + airouter.port());
            URI peerUrl = URI.create("http://127.0.0.1:" + peerPort);
            List<String> chatBodies = new ArrayList<>();
            for (int i = 0; i < SESSIONS; i++) {
                chatBodies.add(MAPPER.writeValueAsString(Map.of("message", QUERY, "sessionId", "peer-bench-" + i)));
            }
            Target air = new Target("airouter", airouterUrl, "/api/chat", airouter.pid(), chatBodies);
            Target node = new Target("express", peerUrl, "/api/chat", peer.status().pid().orElseThrow(), chatBodies);
            // warm-up: JIT, connections, and every session's history up to the limit
            wrk(air, 8, warmup, false);
            wrk(node, 8, warmup, false);
            Target direct = new Target("direct /route", routerUrl, "/route", -1, directBodies(airouterUrl));
            wrk(direct, 8, Math.max(5, warmup / 2), false);
            checkHistories(airouterUrl, peerUrl);

            List<Target> targets = List.of(direct, air, node);
            Map<String, List<WrkResult>> throughput = new LinkedHashMap<>();
            Map<String, List<WrkResult>> latency = new LinkedHashMap<>();
            Map<String, List<Double>> cpu = new LinkedHashMap<>();
            Map<String, List<Double>> routerCpu = new LinkedHashMap<>();
            for (Target t : targets) {
                throughput.put(t.name(), new ArrayList<>());
                latency.put(t.name(), new ArrayList<>());
                cpu.put(t.name(), new ArrayList<>());
                routerCpu.put(t.name(), new ArrayList<>());
            }
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < targets.size(); k++) {
                    Target t = targets.get((k + r) % targets.size());
                    long cpu0 = t.pid() > 0 ? CpuMeter.processNanos(t.pid()) : 0;
                    long router0 = CpuMeter.processNanos(routerPid);
                    WrkResult w = wrk(t, 8, seconds, false);
                    long cpu1 = t.pid() > 0 ? CpuMeter.processNanos(t.pid()) : 0;
                    long router1 = CpuMeter.processNanos(routerPid);
                    throughput.get(t.name()).add(w);
                    cpu.get(t.name()).add(t.pid() > 0 ? (cpu1 - cpu0) / 1e6 / w.requests() : Double.NaN);
                    routerCpu.get(t.name()).add((router1 - router0) / 1e6 / w.requests());
                    latency.get(t.name()).add(wrk(t, 1, seconds, true));
                }
            }
            return report(store, targets, throughput, latency, cpu, routerCpu);
        } finally {
            if (redis != null) {
                redis.close();
            }
        }
    }

    /** The direct calls: what the backends send the router at steady state, a real 20-message history. */
    private static List<String> directBodies(URI airouter) throws IOException {
        JsonNode messages = MAPPER.readTree(RawHttp.to(airouter).get("/api/sessions/peer-bench-0").body())
                .path("messages");
        require(messages.size() == HISTORY, "after the warm-up session peer-bench-0 should hold " + HISTORY
                + " messages, not " + messages.size() + " (warm-up too short?)");
        List<Map<String, String>> history = new ArrayList<>();
        for (JsonNode m : messages) {
            history.add(Map.of("role", m.path("role").asText(), "content", m.path("content").asText()));
        }
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("query", QUERY);
            body.put("session_id", "peer-bench-" + i);
            body.put("history", history);
            bodies.add(MAPPER.writeValueAsString(body));
        }
        return bodies;
    }

    /** Both backends kept every session at the limit: the peer does the same job. */
    private static void checkHistories(URI airouter, URI peer) throws IOException {
        for (URI u : List.of(airouter, peer)) {
            for (int i = 0; i < SESSIONS; i += 21) {
                JsonNode messages = MAPPER.readTree(RawHttp.to(u).get("/api/sessions/peer-bench-" + i).body())
                        .path("messages");
                require(messages.size() == HISTORY, u + ": session peer-bench-" + i + " holds " + messages.size()
                        + " messages after the warm-up, not " + HISTORY);
            }
        }
    }

    private static String report(String store, List<Target> targets, Map<String, List<WrkResult>> throughput,
            Map<String, List<WrkResult>> latency, Map<String, List<Double>> cpu, Map<String, List<Double>> routerCpu) {
        StringBuilder out = new StringBuilder();
        out.append("### ").append(store).append(" store\n\n");
        out.append("| target | req/s at 8 conn. (median; rounds) | p50 / p99 at 1 conn. (medians) | added p50 vs direct"
                + " | backend CPU per request (median; rounds) | router CPU per request |\n|---|---|---|---|---|---|\n");
        double directP50 = Stats.of(latency.get("direct /route").stream().map(WrkResult::p50Millis).toList()).median();
        for (Target t : targets) {
            List<Double> rps = throughput.get(t.name()).stream().map(WrkResult::requestsPerSecond).toList();
            double p50 = Stats.of(latency.get(t.name()).stream().map(WrkResult::p50Millis).toList()).median();
            double p99 = Stats.of(latency.get(t.name()).stream().map(WrkResult::p99Millis).toList()).median();
            List<Double> c = cpu.get(t.name());
            out.append(String.format(Locale.ROOT, "| %s | %,.0f (%s) | %.2f / %.2f ms | %s | %s | %.3f ms |%n", t.name(),
                    Stats.of(rps).median(), join(rps, "%,.0f"), p50, p99,
                    t.pid() > 0 ? String.format(Locale.ROOT, "+%.2f ms", p50 - directP50) : "–",
                    t.pid() > 0 ? String.format(Locale.ROOT, "%.3f ms (%s)", Stats.of(c).median(), join(c, "%.3f")) : "–",
                    Stats.of(routerCpu.get(t.name())).median()));
        }
        List<Double> ratio = new ArrayList<>();
        List<Double> cpuRatio = new ArrayList<>();
        for (int r = 0; r < throughput.get("airouter").size(); r++) {
            ratio.add(throughput.get("airouter").get(r).requestsPerSecond()
                    / throughput.get("express").get(r).requestsPerSecond());
            cpuRatio.add(cpu.get("airouter").get(r) / cpu.get("express").get(r));
        }
        long bad = 0;
        for (Map<String, List<WrkResult>> m : List.of(throughput, latency)) {
            for (List<WrkResult> l : m.values()) {
                for (WrkResult w : l) {
                    bad += w.non2xx() + w.socketErrors();
                }
            }
        }
        double airP50 = Stats.of(latency.get("airouter").stream().map(WrkResult::p50Millis).toList()).median();
        double peerP50 = Stats.of(latency.get("express").stream().map(WrkResult::p50Millis).toList()).median();
        out.append(String.format(Locale.ROOT, "%nairouter / Express: throughput at 8 connections **%.2f×** (rounds: %s;"
                + " target ≥ 1.5×); added median latency at 1 connection **+%.2f ms vs +%.2f ms** (target: lower);"
                + " backend CPU per request **%.2f×** the peer's (rounds: %s; target < 1). Failed requests (non-2xx,"
                + " socket errors) over every phase: %d.%n%n", Stats.of(ratio).median(), join(ratio, "%.2f"),
                airP50 - directP50, peerP50 - directP50, Stats.of(cpuRatio).median(), join(cpuRatio, "%.2f"), bad));
        return out.toString();
    }

    private static String join(List<Double> values, String format) {
        List<String> parts = new ArrayList<>();
        for (double v : values) {
            parts.add(String.format(Locale.ROOT, format, v));
        }
        return String.join(", ", parts);
    }

    private static WrkResult wrk(Target target, int connections, int seconds, boolean latency)
            throws IOException, InterruptedException {
        Path script = Files.createTempFile("peer-bench-", ".lua");
        try {
            Files.writeString(script, luaScript(target.path(), target.bodies()), StandardCharsets.UTF_8);
            List<String> command = new ArrayList<>(List.of("/usr/bin/wrk", "-t", Integer.toString(Math.min(2, connections)),
                    "-c", Integer.toString(connections), "-d", seconds + "s", "--timeout", "10s", "-s", script.toString()));
            if (latency) {
                command.add("--latency");
            }
            command.add(target.url().toString());
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(seconds + 60L, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("wrk against " + target.name() + " failed:\n" + text);
            }
            return parse(text, latency);
        } finally {
            Files.deleteIfExists(script);
        }
    }

    /** A wrk script that POSTs the bodies in turn, each thread from its own offset. */
    static String luaScript(String path, List<String> bodies) {
        StringBuilder lua = new StringBuilder("local bodies = {\n");
        for (String b : bodies) {
            lua.append("  [==[").append(b).append("]==],\n");
        }
        lua.append("}\n")
                .append("local n = #bodies\n")
                .append("local threads = 0\n")
                .append("function setup(thread)\n  thread:set(\"offset\", threads * 17)\n  threads = threads + 1\nend\n")
                .append("function init(args)\n  i = offset or 0\nend\n")
                .append("wrk.method = \"POST\"\n")
                .append("wrk.headers[\"Content-Type\"] = \"application/json\"\n")
                .append("function request()\n  i = i + 1\n  return wrk.format(nil, \"").append(path)
                .append("\", nil, bodies[(i % n) + 1])\nend\n");
        return lua.toString();
    }

    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in");
    private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
    private static final Pattern SOCKET = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

    static WrkResult parse(String text, boolean latency) throws IOException {
        Matcher rps = RPS.matcher(text);
        Matcher total = TOTAL.matcher(text);
        if (!rps.find() || !total.find()) {
            throw new IOException("unexpected wrk output:\n" + text);
        }
        Matcher non2xx = NON2XX.matcher(text);
        Matcher socket = SOCKET.matcher(text);
        long errors = 0;
        if (socket.find()) {
            for (int g = 1; g <= 4; g++) {
                errors += Long.parseLong(socket.group(g));
            }
        }
        return new WrkResult(Double.parseDouble(rps.group(1)), Long.parseLong(total.group(1)),
                latency ? percentile(text, "50%") : Double.NaN, latency ? percentile(text, "99%") : Double.NaN,
                non2xx.find() ? Long.parseLong(non2xx.group(1)) : 0, errors);
    }

    private static double percentile(String text, String which) throws IOException {
        Matcher m = Pattern.compile("\\s" + Pattern.quote(which) + "\\s+([0-9.]+)(us|ms|s|m)\\b").matcher(text);
        if (!m.find()) {
            throw new IOException("no " + which + " latency in wrk's output:\n" + text);
        }
        double v = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "us" -> v / 1000;
            case "ms" -> v;
            case "s" -> v * 1000;
            default -> v * 60_000;
        };
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what);
        }
    }
}
