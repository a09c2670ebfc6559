package dev.airouter.benchmarks.backend;

import dev.airouter.benchmarks.backend.RouterPoolBenchmark.Row;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Part 3 of {@link RouterPoolBenchmark}: the backend's CPU per chat request with {@code --routers 1}
 * through the pool, against the same backend built from the commit before the pool (when its
 * launcher jar is given), both behind a fixture router whose {@code /route} does no work
 * ({@code [no-cpu]} queries), so the backend is most of the CPU and thousands of requests are
 * counted per phase. Both backends get the same warm-up, then measured phases alternate between
 * them; the difference is taken per round. A cost of the pool is called visible when the pool costs
 * more in every round (a sign test: with 5 rounds, chance alone does that 1 time in 32).
 */
final class DispatchCost {
    private final LauncherBackend pooled;
    private final Optional<LauncherBackend> before;
    private final int rounds;
    private final Duration phase;

    DispatchCost(LauncherBackend pooled, Optional<LauncherBackend> before, int rounds, Duration phase) {
        this.pooled = pooled;
        this.before = before;
        this.rounds = rounds;
        this.phase = phase;
    }

    /**
     * Runs one unmeasured rehearsal round, then the measured rounds.
     *
     * @param rows where the table row goes
     * @param details where the per-round lines go
     * @throws IOException if a backend stops answering
     * @throws InterruptedException if interrupted
     */
    void run(List<Row> rows, StringBuilder details) throws IOException, InterruptedException {
        List<Double> pool = new ArrayList<>();
        List<Double> poolThreads = new ArrayList<>();
        List<Double> old = new ArrayList<>();
        List<Double> oldThreads = new ArrayList<>();
        List<Double> diff = new ArrayList<>();
        List<Double> diffThreads = new ArrayList<>();
        details.append(String.format(Locale.ROOT, "Dispatch cost: backend JVM CPU per chat request, router /route"
                + " without work, %d connections, %d s per backend per round%n", RouterPoolBenchmark.CONNECTIONS,
                phase.toSeconds()));
        for (int round = 0; round <= rounds; round++) { // round 0 rehearses: not measured
            boolean poolFirst = round % 2 == 1;
            MeasuredPhase p = null;
            MeasuredPhase o = null;
            for (int step = 0; step < 2; step++) {
                if ((step == 0) == poolFirst) {
                    p = measure("--routers 1 (pool)", pooled);
                } else if (before.isPresent()) {
                    o = measure("before the pool", before.get());
                }
            }
            double others = Math.max(p.othersBusy(), o == null ? 0 : o.othersBusy());
            details.append(round == 0 ? "rehearsal (not counted)" : "round " + round).append(String.format(Locale.ROOT,
                    " (others up to %.0f %% of the machine)%n", 100 * others));
            details.append("  ").append(p.describe()).append("\n    top threads: ").append(p.topThreads(6)).append('\n');
            if (o != null) {
                details.append("  ").append(o.describe()).append("\n    top threads: ").append(o.topThreads(6)).append('\n');
            }
            if (round == 0) {
                continue;
            }
            pool.add(p.backendCpuMsPerRequest());
            poolThreads.add(p.requestThreadsCpuMsPerRequest());
            if (o != null) {
                old.add(o.backendCpuMsPerRequest());
                oldThreads.add(o.requestThreadsCpuMsPerRequest());
                diff.add(p.backendCpuMsPerRequest() - o.backendCpuMsPerRequest());
                diffThreads.add(p.requestThreadsCpuMsPerRequest() - o.requestThreadsCpuMsPerRequest());
            }
        }
        String figure = "backend CPU per chat request, `--routers 1` through the pool vs the code before the pool"
                + " (request threads; whole JVM incl. JIT/GC in parentheses)";
        String measured = RouterPoolBenchmark.spread(poolThreads, "%.3f ms") + " ("
                + RouterPoolBenchmark.median(pool, "%.3f ms") + ")";
        if (old.isEmpty()) {
            rows.add(new Row(figure, measured, "not measured (no launcher jar of the commit before the pool given)",
                    "-", "not visible above the noise"));
            return;
        }
        String baseline = RouterPoolBenchmark.spread(oldThreads, "%.3f ms") + " ("
                + RouterPoolBenchmark.median(old, "%.3f ms") + ")";
        String verdict = verdict(diffThreads);
        rows.add(new Row(figure, measured, baseline, "difference per round " + RouterPoolBenchmark.spread(diffThreads,
                "%+.3f ms") + " (" + RouterPoolBenchmark.median(diff, "%+.3f ms") + "); " + verdict,
                "not visible above the noise"));
    }

    /** Visible when every round's difference has the same sign; says which way. */
    private static String verdict(List<Double> differences) {
        double min = differences.stream().mapToDouble(Double::doubleValue).min().orElse(0);
        double max = differences.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        if (min > 0) {
            return "**visible**: the pool costs more in every round";
        }
        if (max < 0) {
            return "the pool costs less in every round (no cost of its own visible)";
        }
        return "not visible: the rounds' differences span 0";
    }

    private MeasuredPhase measure(String name, LauncherBackend backend) throws IOException, InterruptedException {
        List<Long> routerPids = backend.replicas().stream().map(LauncherBackend.Replica::pid).toList();
        return MeasuredPhase.run(name, ChatLoad.times(RouterPoolBenchmark.CONNECTIONS,
                RouterPoolBenchmark.chat(backend, false)), phase, backend.pid(), routerPids);
    }
}
