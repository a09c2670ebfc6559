package dev.airouter.benchmarks.lifecycle;

import dev.airouter.benchmarks.Stats;
import dev.airouter.lifecycle.Drain;
import dev.airouter.lifecycle.HealthCheck;
import dev.airouter.lifecycle.ManagedProcess;
import dev.airouter.lifecycle.PoolConfig;
import dev.airouter.lifecycle.ProcessConfig;
import dev.airouter.lifecycle.ProcessPool;
import dev.airouter.lifecycle.Replica;
import dev.airouter.lifecycle.ReplicaEvent;
import dev.airouter.lifecycle.Rollout;
import dev.airouter.testing.Fixtures;
import dev.airouter.testing.FreePorts;
import dev.airouter.testing.Processes;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@link ProcessPool} figures, each beside a baseline measured the same way in the same run:
 * <ol>
 *   <li>start of a pool of 4 vs one process of the same fixture with a start delay (standing in for a
 *       model load): ratio close to 1 if the replicas really start in parallel;
 *   <li>replace of 2 replicas that each need seconds to start ({@code Rollout.blueGreen()},
 *       {@code Drain.immediately()}): total time, the longest stretch without a ready replica and
 *       failed requests, as a {@link ReplaceWatch} sees them; baseline: a fixed-port pool of one,
 *       whose replace must stop before it starts;
 *   <li>{@code stop()} of a pool of 4 trees (each replica forks 2 levels) vs one such tree.
 * </ol>
 *
 * <p>Usage: {@code PoolBenchmark [ITERATIONS]} (default 10; the replaces run ITERATIONS / 2 times,
 * each takes more than the start delay). Prints a Markdown table, a note and the details.
 */
public final class PoolBenchmark {
    private static final Pattern PID_LINE = Pattern.compile("(?:pid|leaf) (\\d+)");
    private static final int START_REPLICAS = 4;
    private static final int REPLACE_REPLICAS = 2;
    private static final int STOP_REPLICAS = 4;
    private static final int TREE_PROCESSES = 3; // the server, its child and grandchild (--fork 2)

    private final int iterations;
    private final Path logs;
    private final Duration startDelay;
    private final Duration replaceDelay;
    private final Map<String, String[]> rows = new LinkedHashMap<>();
    private final List<String> details = new ArrayList<>();

    PoolBenchmark(int iterations, Path logs) {
        this(iterations, logs, Duration.ofSeconds(1), Duration.ofSeconds(3));
    }

    PoolBenchmark(int iterations, Path logs, Duration startDelay, Duration replaceDelay) {
        this.iterations = iterations;
        this.logs = logs;
        this.startDelay = startDelay;
        this.replaceDelay = replaceDelay;
    }

    /**
     * @param args optional iteration count
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        PoolBenchmark b = new PoolBenchmark(n, Files.createTempDirectory("airouter-bench-pool-"));
        System.out.println(b.runAll());
    }

    /** Runs every scenario and returns the Markdown table, a note and the fenced details. */
    String runAll() throws Exception {
        start();
        replace();
        stopTrees();
        StringBuilder sb = new StringBuilder();
        sb.append("### ProcessPool (baselines: one process of the same fixture; for replace, a fixed-port pool of one,"
                + " which stops before it starts)\n\n");
        sb.append("| figure | pool (median / p90 / max) | baseline, same run (median / p90) | ratio | target |\n");
        sb.append("|---|---|---|---|---|\n");
        rows.forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(String.join(" | ", v)).append(" |\n"));
        sb.append("\nProbes are counted as failed while ready only if the replica they went to was still ready when"
                + " the failure was seen. With Drain.immediately() the pool stops a retiring replica at once, so a"
                + " probe picked from a snapshot taken just before the retirement (the prober's view is up to "
                + ReplaceWatch.INTERVAL_MILLIS + " ms old) can reach a stopped process: those are counted apart as"
                + " stale picks. They are the benchmark's doing, not the pool's: a dispatcher avoids them by taking"
                + " a replica and counting the request in flight in one step, marking the replica unpickable when"
                + " the Drain hook is called, and completing the hook's stage only when its count is 0 (the pool"
                + " waits for it, up to drainTimeout, before it stops the replica).\n\n");
        sb.append("```\n");
        details.forEach(d -> sb.append(d).append('\n'));
        sb.append("```\n");
        return sb.toString();
    }

    Map<String, String[]> rows() {
        return rows;
    }

    // ---- 1. start: a pool of 4 vs one process -----------------------------------------------

    void start() throws Exception {
        List<Timing> one = new ArrayList<>();
        List<Timing> pool = new ArrayList<>();
        startOne(); // warm-up of both paths (class loading, first HTTP client), not counted
        startPool();
        for (int i = 0; i < iterations; i++) {
            if (i % 2 == 0) { // alternate the order: the machine is shared and noisy
                one.add(startOne());
                pool.add(startPool());
            } else {
                pool.add(startPool());
                one.add(startOne());
            }
            details.add(String.format(Locale.ROOT, "start %2d: one process %7.1f ms (CPU: JVM %3.0f ms, child %3.0f ms),"
                    + " pool of %d %7.1f ms (CPU: JVM %3.0f ms, children %3.0f ms)", i + 1, one.get(i).ms(), one.get(i).cpuMs(),
                    one.get(i).childCpuMs(), START_REPLICAS, pool.get(i).ms(), pool.get(i).cpuMs(), pool.get(i).childCpuMs()));
        }
        Stats p = wall(pool);
        Stats o = wall(one);
        details.add(cpuSummary("start", one, pool));
        rows.put("start: pool of " + START_REPLICAS + " vs one process (" + startDelay.toMillis()
                        + " ms start delay), start() / ensureRunning() to return",
                new String[] {fmt(p), "one process: " + fmtBase(o),
                        String.format(Locale.ROOT, "%.2fx of one", p.median() / o.median()), "close to 1x"});
    }

    private Timing startOne() throws Exception {
        int port = FreePorts.next();
        try (ManagedProcess p = ManagedProcess.create(single("bench-one", port, startDelay, null).build())) {
            Timing.Start t0 = Timing.begin();
            p.ensureRunning();
            Timing ms = t0.end();
            long pid = p.status().pid().orElseThrow();
            ms = ms.withChildren(Set.of(pid));
            p.stop();
            requireGone("one process", Set.of(pid));
            return ms;
        }
    }

    private Timing startPool() throws Exception {
        try (ProcessPool pool = ProcessPool.create(PoolConfig.builder(template("bench-pool", startDelay, null).build())
                .replicas(START_REPLICAS).build())) {
            Timing.Start t0 = Timing.begin();
            pool.start();
            Timing ms = t0.end();
            List<Replica> replicas = pool.replicas();
            ms = ms.withChildren(pids(replicas));
            if (replicas.size() != START_REPLICAS || !replicas.stream().allMatch(Replica::isReady)) {
                throw new IllegalStateException("start() returned without " + START_REPLICAS + " ready replicas: " + replicas);
            }
            pool.stop();
            requireGone("pool of " + START_REPLICAS, pids(replicas));
            return ms;
        }
    }

    // ---- 2. replace without a gap -------------------------------------------------------------

    void replace() throws Exception {
        int runs = Math.max(1, iterations / 2);
        Replaces blueGreen = replaces("bench-replace", REPLACE_REPLICAS, false, runs);
        Replaces fixed = replaces("bench-fixed", 1, true, runs);
        Stats took = Stats.of(blueGreen.took);
        Stats successor = Stats.of(blueGreen.successorStart);
        Stats gap = Stats.of(blueGreen.gaps);
        Stats fixedGap = Stats.of(fixed.gaps);
        String what = "replace of " + REPLACE_REPLICAS + " replicas, " + replaceDelay.toMillis()
                + " ms start delay each (blue/green, Drain.immediately())";
        rows.put(what + ": total (S = successor start " + String.format(Locale.ROOT, "%.0f", successor.median())
                        + " ms, ADDED to READY)",
                new String[] {fmt(took), "fixed port, stop then start: " + fmtBase(Stats.of(fixed.took)),
                        String.format(Locale.ROOT, "S + %.0f ms", took.median() - successor.median()), "-"});
        rows.put("replace: longest stretch with no ready replica (pool.replicas() every " + ReplaceWatch.INTERVAL_MILLIS
                        + " ms; " + blueGreen.polls + " polls, " + blueGreen.emptyPolls + " empty, in " + runs + " replaces)",
                new String[] {fmt(gap), "fixed port: " + fmtBase(fixedGap) + " (" + fixed.emptyPolls + " of "
                        + fixed.polls + " polls empty)", "-", "0 ms"});
        rows.put("replace: GET /health every ~" + ReplaceWatch.INTERVAL_MILLIS
                        + " ms to a ready replica of the latest snapshot, failed while the replica was still ready",
                new String[] {blueGreen.failedWhileReady + " of " + blueGreen.probes + " requests",
                        "fixed port: " + fixed.failedWhileReady + " of " + fixed.probes + ", and " + fixed.noneReady
                                + " times no replica to send to", "-", "0"});
        rows.put("replace: failed because picked from a stale snapshot (replica retired and stopped since; see note)",
                new String[] {blueGreen.failedStale + " of " + blueGreen.probes + " requests",
                        "fixed port: " + fixed.failedStale + " of " + fixed.probes, "-", "- (0 with in-flight counting and drain)"});
    }

    /** What one kind of replace did, over its runs. */
    private static final class Replaces {
        final List<Double> took = new ArrayList<>();
        final List<Double> successorStart = new ArrayList<>();
        final List<Double> gaps = new ArrayList<>();
        int polls;
        int emptyPolls;
        int probes;
        int noneReady;
        int failedWhileReady;
        int failedStale;
    }

    private Replaces replaces(String name, int replicas, boolean fixedPort, int runs) throws Exception {
        Replaces out = new Replaces();
        List<ReplicaEvent> events = new CopyOnWriteArrayList<>();
        PoolConfig.Builder config = PoolConfig.builder(template(name, replaceDelay, null).build()).replicas(replicas);
        if (fixedPort) {
            config.fixedPort(FreePorts.next());
        }
        Set<Long> everyPid = new TreeSet<>();
        try (ProcessPool pool = ProcessPool.create(config.build())) {
            pool.addListener(events::add);
            pool.start();
            for (int i = 0; i < runs; i++) {
                Set<Long> before = pids(pool.replicas());
                everyPid.addAll(before);
                ReplaceWatch watch = ReplaceWatch.start(pool);
                long t0 = System.nanoTime();
                ProcessPool.ReplaceResult result = pool.replace(Rollout.blueGreen(), Drain.immediately());
                double ms = millis(System.nanoTime() - t0);
                ReplaceWatch.Result seen = watch.finish();
                requireGone(name + " predecessors", before);
                if (pool.replicas().stream().filter(Replica::isReady).count() != replicas) {
                    throw new IllegalStateException("after replace: " + pool.replicas());
                }
                everyPid.addAll(pids(pool.replicas()));
                double successor = successorStart(events, result.to());
                out.took.add(ms);
                out.successorStart.add(successor);
                out.gaps.add(seen.longestGapMs());
                out.polls += seen.polls();
                out.emptyPolls += seen.emptyPolls();
                out.probes += seen.probes();
                out.noneReady += seen.noneReady();
                out.failedWhileReady += seen.failedWhileReady();
                out.failedStale += seen.failedStale();
                details.add(String.format(Locale.ROOT, "%s replace %d (g%d -> g%d): total %.1f ms, successor start %.1f ms;"
                        + " %d polls, %d without a ready replica, longest gap %.1f ms; %d probes: %d answered %s,"
                        + " %d failed while ready, %d stale, %d times none ready", name, i + 1, result.from(), result.to(),
                        ms, successor, seen.polls(), seen.emptyPolls(), seen.longestGapMs(), seen.probes(), seen.answered(),
                        seen.answersByGeneration(), seen.failedWhileReady(), seen.failedStale(), seen.noneReady()));
                seen.failures().forEach(f -> details.add("  " + f));
            }
        }
        requireGone(name, everyPid);
        return out;
    }

    /** The slowest successor of generation {@code to}: its ADDED event to its READY event, in ms. */
    private static double successorStart(List<ReplicaEvent> events, long to) {
        Map<Integer, ReplicaEvent> added = new LinkedHashMap<>();
        double slowest = -1;
        for (ReplicaEvent e : events) {
            if (e.replica().generation() != to) {
                continue;
            }
            if (e.kind() == ReplicaEvent.Kind.ADDED) {
                added.put(e.replica().index(), e);
            } else if (e.kind() == ReplicaEvent.Kind.READY && added.containsKey(e.replica().index())) {
                slowest = Math.max(slowest, Duration.between(added.get(e.replica().index()).time(), e.time()).toNanos() / 1e6);
            }
        }
        if (slowest < 0) {
            throw new IllegalStateException("no ADDED and READY events for generation " + to + ": " + events);
        }
        return slowest;
    }

    // ---- 3. stop of a pool of trees -----------------------------------------------------------

    void stopTrees() throws Exception {
        List<Timing> one = new ArrayList<>();
        List<Timing> pool = new ArrayList<>();
        for (int i = 0; i < iterations; i++) {
            one.add(stopOneTree());
            pool.add(stopPoolOfTrees());
            details.add(String.format(Locale.ROOT, "stop %2d: one tree %6.1f ms (JVM CPU %3.0f ms), pool of %d trees %6.1f ms"
                    + " (JVM CPU %3.0f ms)", i + 1, one.get(i).ms(), one.get(i).cpuMs(), STOP_REPLICAS, pool.get(i).ms(),
                    pool.get(i).cpuMs()));
        }
        Stats p = wall(pool);
        Stats o = wall(one);
        details.add(cpuSummary("stop", one, pool));
        rows.put("stop() of a pool of " + STOP_REPLICAS + " trees (" + TREE_PROCESSES + " processes each, "
                        + STOP_REPLICAS * TREE_PROCESSES + " in all), to every process gone",
                new String[] {fmt(p), "one tree (ManagedProcess.stop()): " + fmtBase(o),
                        String.format(Locale.ROOT, "%.2fx of one", p.median() / o.median()), "-"});
    }

    private Timing stopOneTree() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (ManagedProcess p = ManagedProcess.create(single("bench-tree", FreePorts.next(), Duration.ZERO, lines::add,
                "--fork", "2").build())) {
            p.ensureRunning();
            Set<Long> tree = awaitPids(lines, TREE_PROCESSES);
            Timing.Start t0 = Timing.begin();
            p.stop();
            Timing ms = t0.end();
            requireGone("one tree", tree);
            return ms;
        }
    }

    private Timing stopPoolOfTrees() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (ProcessPool pool = ProcessPool.create(PoolConfig.builder(template("bench-trees", Duration.ZERO, lines::add,
                "--fork", "2").build()).replicas(STOP_REPLICAS).build())) {
            pool.start();
            Set<Long> trees = awaitPids(lines, STOP_REPLICAS * TREE_PROCESSES);
            Timing.Start t0 = Timing.begin();
            pool.stop();
            Timing ms = t0.end();
            requireGone("pool of trees", trees);
            return ms;
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    /**
     * Wall time and CPU time of one call: this JVM's (all threads: the pool's workers, probes, output
     * pumps) and, for a start, the started children's so far (their whole life: interpreter start,
     * imports, answering probes); both in 10 ms ticks. On 2 cores, parallel work that needs more than
     * the spare core shows in the wall.
     */
    private record Timing(double ms, double cpuMs, double childCpuMs) {
        private static final com.sun.management.OperatingSystemMXBean OS =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

        record Start(long wall, long cpu) {
            Timing end() {
                return new Timing(millis(System.nanoTime() - wall), millis(OS.getProcessCpuTime() - cpu), 0);
            }
        }

        Timing withChildren(Set<Long> children) {
            return new Timing(ms, cpuMs, children.stream().mapToDouble(Timing::cpuMillis).sum());
        }

        /** utime + stime of a live process from /proc/PID/stat (fields 14 and 15, 100 ticks a second). */
        private static double cpuMillis(long pid) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10.0;
            } catch (java.io.IOException | RuntimeException e) {
                return Double.NaN; // not Linux, or gone: the figure says NaN rather than a wrong number
            }
        }

        static Start begin() {
            return new Start(System.nanoTime(), OS.getProcessCpuTime());
        }
    }

    private static Stats wall(List<Timing> timings) {
        return Stats.of(timings.stream().map(Timing::ms).toList());
    }

    private static String cpuSummary(String what, List<Timing> one, List<Timing> pool) {
        String summary = String.format(Locale.ROOT, "%s, CPU medians: JVM %.0f ms for one, %.0f ms for the pool", what,
                Stats.of(one.stream().map(Timing::cpuMs).toList()).median(),
                Stats.of(pool.stream().map(Timing::cpuMs).toList()).median());
        if (one.stream().anyMatch(t -> t.childCpuMs() > 0)) {
            summary += String.format(Locale.ROOT, "; children %.0f ms for one, %.0f ms for the pool", Stats.of(
                    one.stream().map(Timing::childCpuMs).toList()).median(),
                    Stats.of(pool.stream().map(Timing::childCpuMs).toList()).median());
        }
        return summary;
    }

    private ProcessConfig.Builder template(String name, Duration delay, Consumer<String> lines, String... extra) {
        return config(name, ProcessPool.PORT, delay, lines, extra);
    }

    private ProcessConfig.Builder single(String name, int port, Duration delay, Consumer<String> lines, String... extra) {
        return config(name, Integer.toString(port), delay, lines, extra);
    }

    private ProcessConfig.Builder config(String name, String port, Duration delay, Consumer<String> lines,
            String... extra) {
        ProcessConfig.Builder b = ProcessConfig.builder(name)
                .command(Fixtures.httpServer(port, delay.toMillis(), "bench", extra))
                .healthCheck(HealthCheck.http("http://127.0.0.1:" + port + "/health"))
                .startupTimeout(delay.plusSeconds(30))
                .logFile(logs.resolve(name + ".log"));
        if (lines != null) {
            b.outputListener(lines);
        }
        return b;
    }

    private static Set<Long> pids(List<Replica> replicas) {
        return replicas.stream().map(r -> r.status().pid().orElseThrow()).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Waits for {@code count} distinct pids in the fixture's "listening … pid P" and "leaf P" lines. */
    private static Set<Long> awaitPids(List<String> lines, int count) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Set<Long> pids = new TreeSet<>();
            for (String l : lines) {
                Matcher m = PID_LINE.matcher(l);
                if (m.find()) {
                    pids.add(Long.parseLong(m.group(1)));
                }
            }
            if (pids.size() >= count) {
                return pids;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("expected " + count + " pids in the output, got " + pids + ": " + lines);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }

    private static void requireGone(String what, Set<Long> pids) {
        Set<Long> alive = pids.stream().filter(Processes::isAlive).collect(Collectors.toCollection(TreeSet::new));
        if (!alive.isEmpty()) {
            alive.forEach(Processes::kill); // leave nothing behind, by pid
            throw new IllegalStateException(what + ": processes still alive after stop (now killed): " + alive);
        }
    }

    private static String fmt(Stats s) {
        return String.format(Locale.ROOT, "%.1f / %.1f / %.1f ms (n=%d)", s.median(), s.p90(), s.max(), s.count());
    }

    private static String fmtBase(Stats s) {
        return String.format(Locale.ROOT, "%.1f / %.1f ms", s.median(), s.p90());
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }
}
