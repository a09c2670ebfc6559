package dev.airouter.benchmarks.lifecycle;

import dev.airouter.benchmarks.Stats;
import dev.airouter.lifecycle.HealthCheck;
import dev.airouter.lifecycle.LifecycleException;
import dev.airouter.lifecycle.ManagedProcess;
import dev.airouter.lifecycle.ProcessConfig;
import dev.airouter.lifecycle.ProcessEvent;
import dev.airouter.lifecycle.ProcessState;
import dev.airouter.lifecycle.ReadinessCheck;
import dev.airouter.lifecycle.RestartPolicy;
import dev.airouter.testing.Fixtures;
import dev.airouter.testing.FreePorts;
import dev.airouter.testing.Processes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * router-lifecycle figures, each beside a baseline measured the same way in the same run (fixed
 * 1-second polling, the approach the library replaces):
 * readiness overhead, fail-fast time, stop time of a 3-level tree, kill -9 to last child gone,
 * restart-to-healthy.
 *
 * <p>Usage: {@code LifecycleBenchmark [ITERATIONS]} (default 20). Prints a Markdown table.
 */
public final class LifecycleBenchmark {
    private static final Pattern LISTEN = Pattern.compile("listening on \\d+ pid \\d+ at (\\d+)");
    private static final Pattern PID_LINE = Pattern.compile("pid (\\d+) depth");
    private static final long CHILD_DELAY_MS = 300;

    private final int iterations;
    private final Path logs;
    private final Map<String, String[]> rows = new LinkedHashMap<>();

    LifecycleBenchmark(int iterations, Path logs) {
        this.iterations = iterations;
        this.logs = logs;
    }

    /**
     * @param args optional iteration count
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        LifecycleBenchmark b = new LifecycleBenchmark(n, Files.createTempDirectory("airouter-bench-"));
        System.out.println(b.runAll());
    }

    /** Runs every scenario and returns the Markdown table. */
    String runAll() throws Exception {
        readiness();
        failFast();
        stopTree();
        killDashNine();
        restart();
        StringBuilder sb = new StringBuilder();
        sb.append("| figure | airouter (median / p90 / max) | baseline: 1 s polling (median / p90) | ratio | target |\n");
        sb.append("|---|---|---|---|---|\n");
        rows.forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(String.join(" | ", v)).append(" |\n"));
        return sb.toString();
    }

    Map<String, String[]> rows() {
        return rows;
    }

    // ---- readiness overhead: (ready returned) - (child listening) ----------------------------

    void readiness() throws Exception {
        List<Double> ours = new ArrayList<>();
        List<Double> base = new ArrayList<>();
        for (int i = 0; i < iterations; i++) {
            int port = FreePorts.next();
            List<String> lines = new CopyOnWriteArrayList<>();
            try (ManagedProcess p = ManagedProcess.create(ProcessConfig.builder("bench-ready")
                    .command(Fixtures.httpServer(port, CHILD_DELAY_MS, "bench"))
                    .healthCheck(HealthCheck.http("http://127.0.0.1:" + port + "/health"))
                    .outputListener(lines::add).logFile(logs.resolve("ready.log")).build())) {
                p.ensureRunning();
                long readyNs = epochNanos();
                ours.add(millis(readyNs - listenTime(lines)));
            }
            base.add(pollingReadiness(FreePorts.next()));
        }
        row("readiness overhead (ready returned - child listening)", Stats.of(ours), Stats.of(base), "median <= 20 ms, p90 <= 50 ms");
    }

    private double pollingReadiness(int port) throws Exception {
        Process child = new ProcessBuilder(Fixtures.httpServer(port, CHILD_DELAY_MS, "bench")).start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = readLines(child, lines);
        try {
            while (!healthy(port)) {
                TimeUnit.SECONDS.sleep(1); // the baseline under test: fixed 1 s polling
            }
            long readyNs = epochNanos();
            awaitLine(lines, LISTEN);
            return millis(readyNs - listenTime(lines));
        } finally {
            child.destroyForcibly().waitFor();
            reader.join(1000);
        }
    }

    // ---- fail fast: a child that dies at start ----------------------------------------------

    void failFast() throws Exception {
        List<Double> ours = new ArrayList<>();
        List<Double> base = new ArrayList<>();
        int runs = Math.max(1, iterations / 2);
        for (int i = 0; i < runs; i++) {
            int port = FreePorts.next();
            try (ManagedProcess p = ManagedProcess.create(ProcessConfig.builder("bench-crash")
                    .command(Fixtures.crash(1, 5))
                    .healthCheck(HealthCheck.http("http://127.0.0.1:" + port + "/health"))
                    .logFile(logs.resolve("crash.log")).build())) {
                long t0 = System.nanoTime();
                try {
                    p.ensureRunning();
                    throw new IllegalStateException("crash fixture became ready?");
                } catch (LifecycleException expected) {
                    ours.add(millis(System.nanoTime() - t0));
                }
            }
            long t0 = System.nanoTime();
            Process child = new ProcessBuilder(Fixtures.crash(1, 5)).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectErrorStream(true).start();
            while (child.isAlive() || healthy(port)) {
                TimeUnit.SECONDS.sleep(1); // baseline: poll health and liveness every second
            }
            base.add(millis(System.nanoTime() - t0));
        }
        row("fail-fast: crash at start reported (call to exception, incl. python start)", Stats.of(ours), Stats.of(base), "<= 1 s");
    }

    // ---- stop time for a 3-level tree --------------------------------------------------------

    void stopTree() throws Exception {
        List<Double> ours = new ArrayList<>();
        List<Double> base = new ArrayList<>();
        for (int i = 0; i < iterations; i++) {
            List<String> lines = new CopyOnWriteArrayList<>();
            try (ManagedProcess p = ManagedProcess.create(ProcessConfig.builder("bench-tree")
                    .command(Fixtures.forkTree(3)).readiness(ReadinessCheck.logLine("^ready$"))
                    .outputListener(lines::add).logFile(logs.resolve("tree.log")).build())) {
                p.ensureRunning();
                awaitCount(lines, PID_LINE, 4);
                Set<Long> tree = pids(lines);
                long t0 = System.nanoTime();
                p.stop();
                ours.add(millis(System.nanoTime() - t0));
                if (tree.stream().anyMatch(Processes::isAlive)) {
                    throw new IllegalStateException("stop() returned with processes alive: " + tree);
                }
            }
            // baseline: SIGTERM to the tree's processes, poll every second until all are gone
            Process child = new ProcessBuilder(Fixtures.forkTree(3)).start();
            List<String> baseLines = new CopyOnWriteArrayList<>();
            Thread reader = readLines(child, baseLines);
            awaitCount(baseLines, PID_LINE, 4);
            Set<Long> tree = pids(baseLines);
            long t0 = System.nanoTime();
            tree.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy));
            while (tree.stream().anyMatch(Processes::isAlive)) {
                TimeUnit.SECONDS.sleep(1);
            }
            base.add(millis(System.nanoTime() - t0));
            child.waitFor();
            reader.join(1000);
        }
        row("stop() of a 3-level tree (4 processes)", Stats.of(ours), Stats.of(base), "<= 0.5 s");
    }

    // ---- kill -9 of the JVM -> last child gone -------------------------------------------------

    void killDashNine() throws Exception {
        List<Double> ours = new ArrayList<>();
        List<Double> survivors = new ArrayList<>();
        int runs = Math.max(1, iterations / 4);
        for (int i = 0; i < runs; i++) {
            ours.add(killRun(true, survivors));
        }
        killRun(false, survivors);
        Stats s = Stats.of(ours);
        rows.put("kill -9 of the JVM -> last started process gone (3-level SIGTERM-ignoring tree + 1)",
                new String[] {fmt(s), "without the lifeline: " + survivors.get(survivors.size() - 1).intValue()
                        + " of 5 processes still alive 2 s later", "-", "<= 2 s"});
    }

    private double killRun(boolean lifeline, List<Double> survivors) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process harness = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", KillHarness.class.getName(),
                logs.toString(), Boolean.toString(lifeline))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(harness.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.equals("HARNESS READY")) {
            // skip
        }
        Set<Long> started = new TreeSet<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            started = harness.toHandle().descendants().map(ProcessHandle::pid).filter(Processes::isAlive)
                    .filter(pid -> !Processes.commandLine(pid).orElse("").contains("airouter-lifeline"))
                    .collect(Collectors.toCollection(TreeSet::new));
            if (started.size() >= 5) {
                break;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        Set<Long> all = harness.toHandle().descendants().map(ProcessHandle::pid).collect(Collectors.toCollection(TreeSet::new));
        harness.destroyForcibly();
        harness.waitFor();
        long t0 = System.nanoTime();
        long limit = t0 + TimeUnit.SECONDS.toNanos(lifeline ? 10 : 2);
        while (all.stream().anyMatch(Processes::isAlive) && System.nanoTime() < limit) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
        double ms = millis(System.nanoTime() - t0);
        long alive = started.stream().filter(Processes::isAlive).count();
        survivors.add((double) alive);
        all.forEach(Processes::kill); // clean up the no-lifeline baseline, by pid
        return ms;
    }

    // ---- restart to healthy --------------------------------------------------------------------

    void restart() throws Exception {
        int port = FreePorts.next();
        List<ProcessEvent> events = new CopyOnWriteArrayList<>();
        List<String> lines = new CopyOnWriteArrayList<>();
        int runs = Math.max(1, iterations / 2);
        try (ManagedProcess p = ManagedProcess.create(ProcessConfig.builder("bench-restart")
                .command(Fixtures.httpServer(port, 0, "bench", "--exit-after-ms", "400"))
                .healthCheck(HealthCheck.http("http://127.0.0.1:" + port + "/health"))
                .restartPolicy(RestartPolicy.always().withMaxRestarts(runs + 1, Duration.ofMinutes(10))
                        .withBackoff(Duration.ZERO, 1.0, Duration.ZERO))
                .outputListener(lines::add).logFile(logs.resolve("restart.log")).build())) {
            p.addListener(events::add);
            p.ensureRunning();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30 + runs);
            while (p.status().restarts() < runs && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            while ((p.status().state() != ProcessState.RUNNING) && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
        }
        List<Double> restartToHealthy = new ArrayList<>();
        List<Double> spawnToListening = new ArrayList<>();
        Instant restarting = null;
        for (ProcessEvent e : events) {
            if (e.state() == ProcessState.RESTARTING) {
                restarting = e.time();
            } else if (e.state() == ProcessState.RUNNING && restarting != null) {
                restartToHealthy.add(Duration.between(restarting, e.time()).toNanos() / 1e6);
                restarting = null;
            }
        }
        // S: spawn -> listening of the same child (from its own clock), for "about S + 100 ms"
        List<Long> listens = new ArrayList<>();
        for (String l : lines) {
            Matcher m = LISTEN.matcher(l);
            if (m.find()) {
                listens.add(Long.parseLong(m.group(1)));
            }
        }
        List<Instant> spawns = events.stream().filter(e -> e.state() == ProcessState.RUNNING)
                .map(e -> e.status().startedAt().orElseThrow()).collect(Collectors.toList());
        for (int i = 0; i < Math.min(listens.size(), spawns.size()); i++) {
            Instant s = spawns.get(i);
            spawnToListening.add((listens.get(i) - (s.getEpochSecond() * 1_000_000_000L + s.getNano())) / 1e6);
        }
        Stats r = Stats.of(restartToHealthy);
        Stats s = Stats.of(spawnToListening);
        rows.put("restart: exit seen -> healthy again (S = spawn->listening " + String.format(Locale.ROOT, "%.0f", s.median())
                + " ms)", new String[] {fmt(r), "-", String.format(Locale.ROOT, "S + %.0f ms", r.median() - s.median()),
                "about S + 100 ms"});
    }

    // ---- helpers -----------------------------------------------------------------------------

    private void row(String name, Stats ours, Stats base, String target) {
        rows.put(name, new String[] {fmt(ours), String.format(Locale.ROOT, "%.1f / %.1f ms", base.median(), base.p90()),
                String.format(Locale.ROOT, "%.1fx faster", base.median() / Math.max(0.001, ours.median())), target});
    }

    private static String fmt(Stats s) {
        return String.format(Locale.ROOT, "%.1f / %.1f / %.1f ms (n=%d)", s.median(), s.p90(), s.max(), s.count());
    }

    private static long epochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }

    private static long listenTime(List<String> lines) {
        for (String l : lines) {
            Matcher m = LISTEN.matcher(l);
            if (m.find()) {
                return Long.parseLong(m.group(1));
            }
        }
        throw new IllegalStateException("child never printed its listen time: " + lines);
    }

    private static boolean healthy(int port) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/health").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(1000);
            try {
                return c.getResponseCode() / 100 == 2;
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            return false;
        }
    }

    private static Thread readLines(Process child, List<String> lines) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // child gone
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void awaitLine(List<String> lines, Pattern p) {
        awaitCount(lines, p, 1);
    }

    private static void awaitCount(List<String> lines, Pattern p, int count) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (lines.stream().filter(l -> p.matcher(l).find()).count() < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("expected " + count + " lines matching " + p + ", got " + lines);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }

    private static Set<Long> pids(List<String> lines) {
        Set<Long> pids = new TreeSet<>();
        for (String l : lines) {
            Matcher m = PID_LINE.matcher(l);
            if (m.find()) {
                pids.add(Long.parseLong(m.group(1)));
            }
        }
        return pids;
    }
}
