package dev.airouter.benchmarks.backend;

import dev.airouter.benchmarks.backend.RouterPoolBenchmark.Row;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Part 2 of {@link RouterPoolBenchmark}: chat throughput through {@code --routers 1} and
 * {@code --routers 2} at 8 connections, against the machine's own ceiling measured in the same
 * rounds: (a) one fixture router driven directly with 8 connections, (b) two fixture routers driven
 * directly at the same time with 4 connections each (the sum). Each round runs the four
 * configurations for the same time, in alternating order (a b 1 2, then 2 1 b a), so drift hits all;
 * the ratios are taken per round and their median and range reported.
 *
 * <p>Beside each throughput ratio, the same ratio of the CPU cores the routers kept busy. The
 * fixture does a fixed amount of work per request, yet on this virtual machine that work took
 * 10 ms in one phase and 13 ms in the next (the host's other tenants), which moves a throughput
 * ratio by up to 30 % in a round; the cores kept busy do not depend on the host's speed, and
 * say directly whether the backend keeps its routers as busy as a client driving them directly.
 */
final class PoolThroughput {
    private final FixtureRouter directA;
    private final FixtureRouter directB;
    private final LauncherBackend routers1;
    private final LauncherBackend routers2;
    private final int rounds;
    private final Duration phase;

    PoolThroughput(FixtureRouter directA, FixtureRouter directB, LauncherBackend routers1, LauncherBackend routers2,
            int rounds, Duration phase) {
        this.directA = directA;
        this.directB = directB;
        this.routers1 = routers1;
        this.routers2 = routers2;
        this.rounds = rounds;
        this.phase = phase;
    }

    /**
     * Runs one unmeasured rehearsal round, then the measured rounds.
     *
     * @param rows where the table rows go
     * @param details where the per-round lines go
     * @throws IOException if a backend stops answering
     * @throws InterruptedException if interrupted
     */
    void run(List<Row> rows, StringBuilder details) throws IOException, InterruptedException {
        byte[] direct = RouterPoolBenchmark.directBody(routers1);
        ChatLoad.Target toA = new ChatLoad.Target(directA.port(), "/route", i -> direct);
        ChatLoad.Target toB = new ChatLoad.Target(directB.port(), "/route", i -> direct);
        List<ChatLoad.Target> oneDirect = ChatLoad.times(RouterPoolBenchmark.CONNECTIONS, toA);
        List<ChatLoad.Target> twoDirect = new ArrayList<>(ChatLoad.times(RouterPoolBenchmark.CONNECTIONS / 2, toA));
        twoDirect.addAll(ChatLoad.times(RouterPoolBenchmark.CONNECTIONS / 2, toB));

        List<Double> ceilingA = new ArrayList<>();
        List<Double> ceilingB = new ArrayList<>();
        List<Double> one = new ArrayList<>();
        List<Double> two = new ArrayList<>();
        List<Double> twoVsB = new ArrayList<>();
        List<Double> oneVsA = new ArrayList<>();
        List<Double> twoVsOne = new ArrayList<>();
        List<Double> ceilingRatio = new ArrayList<>();
        List<Double> backendCpu = new ArrayList<>();
        List<Double> coresA = new ArrayList<>();
        List<Double> coresB = new ArrayList<>();
        List<Double> cores1 = new ArrayList<>();
        List<Double> cores2 = new ArrayList<>();
        List<Double> cores2VsB = new ArrayList<>();
        List<Double> cores1VsA = new ArrayList<>();
        long failed = 0;
        details.append(String.format(Locale.ROOT, "Throughput: %d connections, %d s per configuration per round;"
                + " direct /route bodies carry the %d-message history the backends send (%d bytes)%n",
                RouterPoolBenchmark.CONNECTIONS, phase.toSeconds(), RouterPoolBenchmark.HISTORY, direct.length));
        for (int round = 0; round <= rounds; round++) { // round 0 rehearses: not measured
            boolean forward = round % 2 == 1;
            MeasuredPhase a = null;
            MeasuredPhase b = null;
            MeasuredPhase r1 = null;
            MeasuredPhase r2 = null;
            for (int step = 0; step < 4; step++) {
                switch (forward ? step : 3 - step) {
                    case 0 -> a = MeasuredPhase.run("(a) 1 router direct, 8 conn", oneDirect, phase, -1,
                            List.of(directA.pid()));
                    case 1 -> b = MeasuredPhase.run("(b) 2 routers direct, 4+4 conn", twoDirect, phase, -1,
                            List.of(directA.pid(), directB.pid()));
                    case 2 -> r1 = backendPhase("--routers 1 /api/chat, 8 conn", routers1);
                    default -> r2 = backendPhase("--routers 2 /api/chat, 8 conn", routers2);
                }
            }
            String label = round == 0 ? "rehearsal (not counted)" : "round " + round;
            double others = List.of(a, b, r1, r2).stream().mapToDouble(MeasuredPhase::othersBusy).max().orElse(0);
            details.append(label).append(String.format(Locale.ROOT, " (order %s; others up to %.0f %% of the machine)%n",
                    forward ? "a b 1 2" : "2 1 b a", 100 * others));
            for (MeasuredPhase p : List.of(a, b, r1, r2)) {
                details.append("  ").append(p.describe()).append('\n');
            }
            for (MeasuredPhase p : List.of(r1, r2)) {
                details.append("    ").append(p.name().substring(0, 11)).append(" top threads: ").append(p.topThreads(6))
                        .append('\n');
            }
            if (round == 0) {
                continue;
            }
            failed += a.load().failed() + b.load().failed() + r1.load().failed() + r2.load().failed();
            ceilingA.add(a.perSecond());
            ceilingB.add(b.perSecond());
            one.add(r1.perSecond());
            two.add(r2.perSecond());
            twoVsB.add(r2.perSecond() / b.perSecond());
            oneVsA.add(r1.perSecond() / a.perSecond());
            twoVsOne.add(r2.perSecond() / r1.perSecond());
            ceilingRatio.add(b.perSecond() / a.perSecond());
            coresA.add(a.routerCores());
            coresB.add(b.routerCores());
            cores1.add(r1.routerCores());
            cores2.add(r2.routerCores());
            cores2VsB.add(r2.routerCores() / b.routerCores());
            cores1VsA.add(r1.routerCores() / a.routerCores());
            backendCpu.add(r1.backendCpuMsPerRequest());
            backendCpu.add(r2.backendCpuMsPerRequest());
        }
        details.append(String.format(Locale.ROOT, "  failed requests in all measured phases: %d%n", failed));
        rows.add(new Row("chat throughput, `--routers 2` vs (b) two routers driven directly, 4 connections each (sum)",
                RouterPoolBenchmark.spread(two, "%.0f req/s"), RouterPoolBenchmark.spread(ceilingB, "%.0f req/s"),
                RouterPoolBenchmark.percent(twoVsB), ">= 90 %"));
        rows.add(new Row("the same with the host's speed factored out: CPU cores the routers kept busy, `--routers 2`"
                + " vs (b)", RouterPoolBenchmark.spread(cores2, "%.2f"), RouterPoolBenchmark.spread(coresB, "%.2f"),
                RouterPoolBenchmark.percent(cores2VsB), ">= 90 %"));
        rows.add(new Row("chat throughput, `--routers 1` vs (a) one router driven directly, 8 connections",
                RouterPoolBenchmark.spread(one, "%.0f req/s"), RouterPoolBenchmark.spread(ceilingA, "%.0f req/s"),
                RouterPoolBenchmark.percent(oneVsA), ">= 90 %"));
        rows.add(new Row("the same with the host's speed factored out: CPU cores the router kept busy, `--routers 1`"
                + " vs (a)", RouterPoolBenchmark.spread(cores1, "%.2f"), RouterPoolBenchmark.spread(coresA, "%.2f"),
                RouterPoolBenchmark.percent(cores1VsA), ">= 90 %"));
        rows.add(new Row("`--routers 2` / `--routers 1` (beside it: the ceiling's own (b)/(a))",
                RouterPoolBenchmark.spread(twoVsOne, "%.2fx"), RouterPoolBenchmark.spread(ceilingRatio, "%.2fx"),
                RouterPoolBenchmark.spread(divide(twoVsOne, ceilingRatio), "%.2f"),
                "- (N x with N free cores; here bounded by (b)/(a))"));
        details.append(String.format(Locale.ROOT, "  backend JVM CPU per chat request with the CPU-bound router:"
                + " %s ms (both configurations, all rounds); %d failed requests%n",
                RouterPoolBenchmark.spread(backendCpu, "%.3f"), failed));
    }

    private MeasuredPhase backendPhase(String name, LauncherBackend backend) throws IOException, InterruptedException {
        List<Long> routerPids = backend.replicas().stream().map(LauncherBackend.Replica::pid).toList();
        return MeasuredPhase.run(name, ChatLoad.times(RouterPoolBenchmark.CONNECTIONS,
                RouterPoolBenchmark.chat(backend, true)), phase, backend.pid(), routerPids);
    }

    private static List<Double> divide(List<Double> a, List<Double> b) {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            out.add(a.get(i) / b.get(i));
        }
        return out;
    }
}
