package dev.airouter.benchmarks.backend;

import dev.airouter.benchmarks.Stats;
import dev.airouter.testing.RawHttp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What metrics cost: backend CPU per chat request with metrics on (the default) versus
 * {@code --no-metrics}, measured in one run. Two {@code launcher backend} processes side by side, each
 * with its own fast fixture router ({@code --router-command}, no work per {@code /route}, so the
 * backend's own work is as large a share as it gets), the in-memory store, and the same load:
 * {@code connections} connections each sending {@code POST /api/chat} over 64 sessions.
 *
 * <p>Paired rounds: each loads both backends at once for {@code seconds}, so that whatever else the
 * machine does in a round weighs on both alike (alternating phases were tried first: the drift
 * between two phases, ±15 % on 2 cores, drowned the figure). The rounds send a fixed rate to each
 * backend ({@code rate} requests/s, open loop), so both answer the same requests at the same pace:
 * with back-to-back requests (rate 0) the two backends' shares of 2 saturated cores moved from round
 * to round, and CPU per request with them. Each backend's process CPU ({@code /proc/<pid>/stat},
 * every thread: IO, workers, JIT, GC) over the round is divided by the requests it answered. The
 * metrics-on backend is scraped once a round ({@code GET /metrics}, inside the measured window), as
 * Prometheus would every 15 s.
 *
 * <p>Forks: a run is {@code forks} pairs of fresh backend JVMs, one after the other (JMH's lesson: a
 * JVM's own compilation decisions, and when its compiler is done, weigh on every figure it gives,
 * and single pairs disagreed by more than their rounds' spread said). Each fork warms both up
 * closed loop for {@code warmupSeconds}, scraping every second (the scrape's code reaches the JIT's
 * steady state as in a backend scraped for a while), then runs paced steps until neither JVM's JIT
 * compiler threads use 1 % of its CPU (at most 12, {@code -Dbench.settleSteps}), then its rounds.
 * Odd forks start the metrics-on backend first and open its connections first, even forks the
 * other. The figure is the on/off ratio of each fork (all its CPU over all its requests), with the
 * mean over forks and its 95 % confidence interval; per round, the JIT compiler's share of the CPU
 * too. Target: at most 1.03.
 *
 * <p>{@code -Dbench.aa=true} runs the same rounds with metrics on in both backends (only one scraped):
 * an A/A check that the method has no bias of its own. {@code -Dbench.noScrape=true} leaves the scrape
 * out of the settling steps and rounds (the warm-up's stay): the scrape's share apart from recording's.
 *
 * <p>Arguments: {@code launcher.jar [rounds=5] [seconds=10] [connections=2] [warmupSeconds=20] [rate=500]
 * [forks=1]} (rounds per fork; connections and requests per second per backend; rate 0 = back to back).
 */
public final class MetricsOverheadBenchmark {
    private MetricsOverheadBenchmark() {}

    /** One phase on one backend. */
    record Phase(long requests, long failed, long cpuNanos, long jitNanos, double seconds) {
        double cpuMicrosPerRequest() {
            return cpuNanos / 1000.0 / Math.max(1, requests);
        }

        /** @return the share of the CPU that went to the JIT compiler's threads */
        double jitShare() {
            return jitNanos / (double) Math.max(1, cpuNanos);
        }
    }

    /** CPU and answered requests summed over rounds, of the metrics-on backend and of the other. */
    record Totals(long onCpu, long onRequests, long offCpu, long offRequests, long onJit, long offJit) {
        static final Totals NONE = new Totals(0, 0, 0, 0, 0, 0);

        Totals plus(Phase on, Phase off) {
            return new Totals(onCpu + on.cpuNanos(), onRequests + on.requests(), offCpu + off.cpuNanos(),
                    offRequests + off.requests(), onJit + on.jitNanos(), offJit + off.jitNanos());
        }

        Totals plus(Totals o) {
            return new Totals(onCpu + o.onCpu, onRequests + o.onRequests, offCpu + o.offCpu, offRequests + o.offRequests,
                    onJit + o.onJit, offJit + o.offJit);
        }

        double onMicros() {
            return onCpu / 1000.0 / onRequests;
        }

        double offMicros() {
            return offCpu / 1000.0 / offRequests;
        }

        /** @return CPU per request, metrics on over off */
        double ratio() {
            return onMicros() / offMicros();
        }

        /** @return the same, leaving out the JIT compiler's threads */
        double ratioWithoutJit() {
            return ((onCpu - onJit) / (double) onRequests) / ((offCpu - offJit) / (double) offRequests);
        }
    }

    /** After the warm-up, paced steps until the JIT compiler's threads use less than this share of each backend's CPU. */
    private static final double SETTLED = 0.01;

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args.length > 0 ? args[0] : "launcher/target/launcher.jar");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int connections = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 20;
        int rate = args.length > 5 ? Integer.parseInt(args[5]) : 500;
        int forks = args.length > 6 ? Integer.parseInt(args[6]) : 1;
        List<Double> ratios = new ArrayList<>();
        List<Double> forkRatios = new ArrayList<>();
        StringBuilder rows = new StringBuilder();
        StringBuilder forkRows = new StringBuilder();
        Totals all = Totals.NONE;
        for (int fork = 1; fork <= forks; fork++) {
            Totals own = fork(jar, fork, rounds, seconds, connections, warmup, rate, ratios, rows);
            all = all.plus(own);
            forkRatios.add(own.ratio());
            forkRows.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.3f | %.3f |%n", fork, own.onMicros(),
                    own.offMicros(), own.ratio(), own.ratioWithoutJit()));
        }
        Stats r = Stats.of(ratios);
        System.out.printf(Locale.ROOT, "### Metrics overhead: backend CPU per chat request, metrics on vs off%n%n");
        System.out.printf(Locale.ROOT, "%d fork%s (a new pair of backend JVMs each, %d s of warm-up) of %d rounds of %d s"
                + " loading both backends at once, %d connections each, %s, in-memory store, a fixture router doing no"
                + " work; CPU of the whole backend process (/proc), µs per request.%n%n", forks, forks == 1 ? "" : "s",
                warmup, rounds, seconds, connections, rate == 0 ? "back to back" : rate + " requests/s each");
        System.out.printf("| fork | round | metrics on: µs/request (throughput, JIT compiler's share) | --no-metrics |"
                + " on/off |%n"
                + "|---|---|---|---|---|%n");
        System.out.print(rows);
        double[] roundCi = meanInterval(ratios);
        System.out.printf(Locale.ROOT, "%nOn/off ratio per round: median %.3f, min %.3f, max %.3f; mean %.3f, 95 %%"
                + " confidence interval of the mean %.3f–%.3f (as if the rounds were independent); over all rounds"
                + " (all CPU / all requests): %.3f, %.1f vs %.1f µs per request; without the JIT compiler's threads:"
                + " %.3f.%n", r.median(), r.min(), r.max(), roundCi[0], roundCi[1], roundCi[2], all.ratio(),
                all.onMicros(), all.offMicros(), all.ratioWithoutJit());
        if (forks > 1) {
            double[] forkCi = meanInterval(forkRatios);
            System.out.printf(Locale.ROOT, "%n| fork | metrics on: µs/request | --no-metrics | on/off | on/off without the"
                    + " JIT compiler's threads |%n|---|---|---|---|---|%n");
            System.out.print(forkRows);
            System.out.printf(Locale.ROOT, "%nOn/off ratio per fork (all its CPU / all its requests): mean %.3f, 95 %%"
                    + " confidence interval %.3f–%.3f over %d forks (target ≤ 1.03).%n%n", forkCi[0], forkCi[1],
                    forkCi[2], forks);
        } else {
            System.out.printf(Locale.ROOT, "Target ≤ 1.03; one fork: its JVMs' own compilation weighs on the figure"
                    + " (run several forks to average it out).%n%n");
        }
    }

    /** @return the mean of {@code values}, then the bounds of its 95 % confidence interval (Student's t) */
    static double[] meanInterval(List<Double> values) {
        int n = values.size();
        double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        double variance = values.stream().mapToDouble(x -> (x - mean) * (x - mean)).sum() / Math.max(1, n - 1);
        double half = tQuantile975(n - 1) * Math.sqrt(variance / n);
        return new double[] {mean, mean - half, mean + half};
    }

    /**
     * One fork: a new pair of backends (started in turn order: the metrics-on one first in odd forks,
     * second in even ones, and its connections opened first likewise), the warm-up, then the rounds.
     * A row per round goes to {@code rows} and its ratio to {@code ratios}.
     *
     * @return CPU and answered requests over its rounds
     */
    private static Totals fork(Path jar, int fork, int rounds, int seconds, int connections, int warmup, int rate,
            List<Double> ratios, StringBuilder rows) throws Exception {
        String router = FixtureRouter.routerCommand(0);
        List<String> onOptions = List.of("--router-command", router);
        List<String> offOptions = Boolean.getBoolean("bench.aa") ? onOptions
                : List.of("--router-command", router, "--no-metrics");
        boolean onFirst = fork % 2 == 1;
        try (LauncherBackend first = LauncherBackend.start(jar, onFirst ? "metrics-on" : "metrics-off",
                        onFirst ? onOptions : offOptions);
                LauncherBackend second = LauncherBackend.start(jar, onFirst ? "metrics-off" : "metrics-on",
                        onFirst ? offOptions : onOptions)) {
            LauncherBackend on = onFirst ? first : second;
            LauncherBackend off = onFirst ? second : first;
            RawHttp.Response scrape = RawHttp.to(java.net.URI.create("http://127.0.0.1:" + on.port())).get("/metrics");
            if (scrape.status() != 200 || !Boolean.getBoolean("bench.aa") && RawHttp.to(java.net.URI.create(
                    "http://127.0.0.1:" + off.port())).get("/metrics").status() != 404) {
                throw new IllegalStateException("expected /metrics 200 on the metrics-on backend and 404 on the other");
            }
            // the warm-up scrapes every second, as many scrapes as a Prometheus scraping every 15 s makes in
            // a quarter of an hour: the scrape's own code reaches the JIT's steady state too (a first scrape in
            // a fresh JVM costs ~10x a warm one); then paced steps until neither JVM is still compiling much
            round(on, off, onFirst, connections, 0, Duration.ofSeconds(warmup), Duration.ofSeconds(1));
            Duration measuredScrape = Boolean.getBoolean("bench.noScrape") ? null : Duration.ofSeconds(seconds);
            int maxSteps = Integer.getInteger("bench.settleSteps", 12);
            int steps = 0;
            Phase[] settle;
            do {
                settle = round(on, off, onFirst, connections, rate, Duration.ofSeconds(seconds), measuredScrape);
                steps++;
            } while (steps < maxSteps && Math.max(settle[0].jitShare(), settle[1].jitShare()) >= SETTLED);
            System.err.printf(Locale.ROOT, "fork %d: %d settling step(s) after the warm-up; JIT share in the last:"
                    + " %.1f %% with metrics, %.1f %% without%n", fork, steps, 100 * settle[0].jitShare(),
                    100 * settle[1].jitShare());
            Totals totals = Totals.NONE;
            for (int round = 1; round <= rounds; round++) {
                Phase[] both = round(on, off, onFirst, connections, rate, Duration.ofSeconds(seconds), measuredScrape);
                Phase a = both[0];
                Phase b = both[1];
                if (a.failed() + b.failed() > 0) {
                    throw new IllegalStateException("requests failed in fork " + fork + ", round " + round + ": "
                            + a.failed() + " with metrics, " + b.failed() + " without");
                }
                totals = totals.plus(a, b);
                double ratio = a.cpuMicrosPerRequest() / b.cpuMicrosPerRequest();
                ratios.add(ratio);
                rows.append(String.format(Locale.ROOT, "| %d | %d | %.0f (%.0f/s, JIT %.1f %%) | %.0f (%.0f/s, JIT %.1f %%)"
                        + " | %.3f |%n", fork, round, a.cpuMicrosPerRequest(), a.requests() / a.seconds(),
                        100 * a.jitShare(), b.cpuMicrosPerRequest(), b.requests() / b.seconds(), 100 * b.jitShare(),
                        ratio));
            }
            return totals;
        }
    }

    /** Student's t, 97.5th percentile, for {@code df} degrees of freedom (1.96 from 30 on). */
    static double tQuantile975(int df) {
        double[] t = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
            2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045};
        return df < 1 ? Double.NaN : df <= t.length ? t[df - 1] : 1.96;
    }

    /**
     * Loads both backends at once for {@code length}, the same connections each, and measures each one's
     * process CPU and answered requests over the same window: whatever else the machine does then
     * (the load generator, the routers, the kernel) weighs on both alike. The metrics-on backend is
     * scraped in the middle of every {@code scrapeEvery} (once in a measured round; never if null).
     *
     * @return the metrics-on backend's phase, then the other's
     */
    private static Phase[] round(LauncherBackend on, LauncherBackend off, boolean onFirst, int connections, int rate,
            Duration length, Duration scrapeEvery) throws Exception {
        Map<Long, CpuMeter.Task> onTasks0 = CpuMeter.tasks(on.pid());
        Map<Long, CpuMeter.Task> offTasks0 = CpuMeter.tasks(off.pid());
        long onCpu0 = CpuMeter.processNanos(on.pid());
        long offCpu0 = CpuMeter.processNanos(off.pid());
        long t0 = System.nanoTime();
        Duration interval = Duration.ofNanos(rate == 0 ? 0 : 1_000_000_000L * connections / rate);
        List<ChatLoad.Target> targets = new ArrayList<>(ChatLoad.times(connections,
                target(onFirst ? on : off).paced(interval)));
        targets.addAll(ChatLoad.times(connections, target(onFirst ? off : on).paced(interval)));
        ChatLoad.Result result;
        try (ChatLoad load = ChatLoad.start(targets)) {
            // the load runs meanwhile; a scrape in the middle of every scrapeEvery
            long end = System.nanoTime() + length.toNanos();
            long every = scrapeEvery == null ? Long.MAX_VALUE : scrapeEvery.toNanos();
            for (long next = System.nanoTime() + every / 2; next - end < 0; next += every) {
                Thread.sleep(Math.max(0, (next - System.nanoTime()) / 1_000_000));
                RawHttp.to(java.net.URI.create("http://127.0.0.1:" + on.port())).get("/metrics");
            }
            Thread.sleep(Math.max(0, (end - System.nanoTime()) / 1_000_000));
            result = load.stop();
        }
        long onCpu = CpuMeter.processNanos(on.pid()) - onCpu0;
        long offCpu = CpuMeter.processNanos(off.pid()) - offCpu0;
        long onJit = jitNanos(onTasks0, CpuMeter.tasks(on.pid()));
        long offJit = jitNanos(offTasks0, CpuMeter.tasks(off.pid()));
        double seconds = (System.nanoTime() - t0) / 1e9;
        // requests are told apart by the port they went to: ChatLoad keeps them in target order
        long onOk = 0;
        long offOk = 0;
        long onFailed = 0;
        long offFailed = 0;
        for (ChatLoad.Request r : result.requests()) {
            boolean toOn = r.port() == on.port();
            if (r.ok()) {
                if (toOn) {
                    onOk++;
                } else {
                    offOk++;
                }
            } else if (toOn) {
                onFailed++;
            } else {
                offFailed++;
            }
        }
        return new Phase[] {new Phase(onOk, onFailed, onCpu, onJit, seconds),
            new Phase(offOk, offFailed, offCpu, offJit, seconds)};
    }

    /** @return CPU of the JIT compiler's threads ({@code C1/C2 CompilerThreadN}) between two snapshots */
    private static long jitNanos(Map<Long, CpuMeter.Task> before, Map<Long, CpuMeter.Task> after) {
        long sum = 0;
        for (Map.Entry<Long, CpuMeter.Task> e : after.entrySet()) {
            if (e.getValue().name().startsWith("C CompilerThre")) {
                CpuMeter.Task old = before.get(e.getKey());
                sum += e.getValue().nanos() - (old == null ? 0 : old.nanos());
            }
        }
        return sum;
    }

    private static ChatLoad.Target target(LauncherBackend backend) {
        return new ChatLoad.Target(backend.port(), "/api/chat", n -> ("{\"message\":\"What is 2 + 2?\",\"sessionId\":"
                + "\"overhead-" + (n % 64) + "\"}").getBytes(StandardCharsets.UTF_8));
    }
}
