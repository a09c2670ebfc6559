package dev.airouter.benchmarks.backend;

import dev.airouter.benchmarks.Stats;
import dev.airouter.testing.RawHttp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What metrics cost: backend CPU per chat request with metrics on (the default) versus
 * {@code --no-metrics}, measured in one run. Two {@code launcher backend} processes side by side, each
 * with its own fast fixture router ({@code --router-command}, no work per {@code /route}, so the
 * backend's own work is as large a share as it gets), the in-memory store, and the same load:
 * {@code connections} closed-loop connections sending {@code POST /api/chat} over 64 sessions.
 *
 * <p>After a closed-loop warm-up of both (the JIT compiles the same paths in each), {@code rounds}
 * paired rounds, each loading both backends at once for {@code seconds} ({@code connections} each), so
 * that whatever else the machine does in a round weighs on both alike (alternating phases were tried
 * first: the drift between two phases, ±15 % on 2 cores, drowned the figure). The rounds send a fixed
 * rate to each backend ({@code rate} requests/s, open loop), so both answer the same requests at the
 * same pace: with back-to-back requests (rate 0) the two backends' shares of 2 saturated cores moved
 * from round to round, and CPU per request with them (a backend that got more of the machine batched
 * more work per wake-up), a ±15 % noise per round that took dozens of rounds to average out. Each
 * backend's process CPU ({@code /proc/<pid>/stat}, every thread: IO, workers, JIT, GC) over the round is divided by the
 * requests it answered. The metrics-on backend is scraped once a round ({@code GET /metrics}, inside
 * the measured window), as Prometheus would every 15 s, and every 5 s during the warm-up. The figure is
 * the on/off ratio per round: median, spread, and the mean with its 95 % confidence interval (the per
 * round noise is a few percent, so the interval says whether a run can tell 3 % apart). Target: at
 * most 1.03.
 *
 * <p>{@code -Dbench.aa=true} runs the same rounds with metrics on in both backends (only one scraped): an
 * A/A check that the method has no bias of its own (1.000 over 30 fixed-rate rounds; closed loop: 1.007).
 *
 * <p>Arguments: {@code launcher.jar [rounds=5] [seconds=10] [connections=2] [warmupSeconds=20] [rate=500]}
 * (connections and requests per second per backend; rate 0 = back to back).
 */
public final class MetricsOverheadBenchmark {
    private MetricsOverheadBenchmark() {}

    /** One phase on one backend. */
    record Phase(long requests, long failed, long cpuNanos, double seconds) {
        double cpuMicrosPerRequest() {
            return cpuNanos / 1000.0 / Math.max(1, requests);
        }
    }

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args.length > 0 ? args[0] : "launcher/target/launcher.jar");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int connections = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 20;
        int rate = args.length > 5 ? Integer.parseInt(args[5]) : 500;
        String router = FixtureRouter.routerCommand(0);
        try (LauncherBackend on = LauncherBackend.start(jar, "metrics-on", List.of("--router-command", router));
                LauncherBackend off = LauncherBackend.start(jar, "metrics-off", Boolean.getBoolean("bench.aa")
                        ? List.of("--router-command", router) : List.of("--router-command", router, "--no-metrics"))) {
            RawHttp.Response scrape = RawHttp.to(java.net.URI.create("http://127.0.0.1:" + on.port())).get("/metrics");
            if (scrape.status() != 200 || !Boolean.getBoolean("bench.aa") && RawHttp.to(java.net.URI.create(
                    "http://127.0.0.1:" + off.port())).get("/metrics").status() != 404) {
                throw new IllegalStateException("expected /metrics 200 on the metrics-on backend and 404 on the other");
            }
            // the warm-up scrapes every 5 s, as a Prometheus would have since the start: the scrape's own code
            // reaches the JIT's steady state too (a first scrape in a fresh JVM costs ~10x a warm one)
            round(on, off, connections, 0, Duration.ofSeconds(warmup), Duration.ofSeconds(5));
            List<Double> ratios = new ArrayList<>();
            List<Double> onMicros = new ArrayList<>();
            List<Double> offMicros = new ArrayList<>();
            StringBuilder rows = new StringBuilder();
            long[] totals = new long[4]; // on CPU, on requests, off CPU, off requests
            for (int round = 1; round <= rounds; round++) {
                Phase[] both = round(on, off, connections, rate, Duration.ofSeconds(seconds),
                        Duration.ofSeconds(seconds));
                Phase a = both[0];
                Phase b = both[1];
                totals[0] += a.cpuNanos();
                totals[1] += a.requests();
                totals[2] += b.cpuNanos();
                totals[3] += b.requests();
                double ratio = a.cpuMicrosPerRequest() / b.cpuMicrosPerRequest();
                ratios.add(ratio);
                onMicros.add(a.cpuMicrosPerRequest());
                offMicros.add(b.cpuMicrosPerRequest());
                rows.append(String.format(Locale.ROOT, "| %d | %.0f (%.0f/s) | %.0f (%.0f/s) | %.3f |%n", round,
                        a.cpuMicrosPerRequest(), a.requests() / a.seconds(), b.cpuMicrosPerRequest(),
                        b.requests() / b.seconds(), ratio));
                if (a.failed() + b.failed() > 0) {
                    throw new IllegalStateException("requests failed in round " + round + ": " + a.failed() + " with"
                            + " metrics, " + b.failed() + " without");
                }
            }
            Stats r = Stats.of(ratios);
            System.out.printf(Locale.ROOT, "### Metrics overhead: backend CPU per chat request, metrics on vs off%n%n");
            System.out.printf(Locale.ROOT, "%d rounds of %d s loading both backends at once, %d connections each, %s,"
                    + " in-memory store, a fixture router doing no work; CPU of the whole backend process (/proc), µs per"
                    + " request.%n%n", rounds, seconds, connections, rate == 0 ? "back to back"
                    : rate + " requests/s each");
            System.out.printf("| round | metrics on: µs/request (throughput) | --no-metrics | on/off |%n|---|---|---|---|%n");
            System.out.print(rows);
            double onAll = totals[0] / 1000.0 / totals[1];
            double offAll = totals[2] / 1000.0 / totals[3];
            double mean = ratios.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            double variance = ratios.stream().mapToDouble(x -> (x - mean) * (x - mean)).sum() / Math.max(1, rounds - 1);
            double half = tQuantile975(rounds - 1) * Math.sqrt(variance / rounds);
            System.out.printf(Locale.ROOT, "%nOn/off ratio per round: median %.3f, min %.3f, max %.3f; mean %.3f, 95 %%"
                    + " confidence interval of the mean %.3f–%.3f; over all rounds (all CPU / all requests): %.3f, %.1f vs"
                    + " %.1f µs per request (target ≤ 1.03).%n%n", r.median(), r.min(), r.max(), mean, mean - half,
                    mean + half, onAll / offAll, onAll, offAll);
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
     * scraped in the middle of every {@code scrapeEvery} (once in a measured round).
     *
     * @return the metrics-on backend's phase, then the other's
     */
    private static Phase[] round(LauncherBackend on, LauncherBackend off, int connections, int rate, Duration length,
            Duration scrapeEvery) throws Exception {
        long onCpu0 = CpuMeter.processNanos(on.pid());
        long offCpu0 = CpuMeter.processNanos(off.pid());
        long t0 = System.nanoTime();
        Duration interval = Duration.ofNanos(rate == 0 ? 0 : 1_000_000_000L * connections / rate);
        List<ChatLoad.Target> targets = new ArrayList<>(ChatLoad.times(connections, target(on).paced(interval)));
        targets.addAll(ChatLoad.times(connections, target(off).paced(interval)));
        ChatLoad.Result result;
        try (ChatLoad load = ChatLoad.start(targets)) {
            // the load runs meanwhile; a scrape in the middle of every scrapeEvery
            long end = System.nanoTime() + length.toNanos();
            for (long next = System.nanoTime() + scrapeEvery.toNanos() / 2; next < end; next += scrapeEvery.toNanos()) {
                Thread.sleep(Math.max(0, (next - System.nanoTime()) / 1_000_000));
                RawHttp.to(java.net.URI.create("http://127.0.0.1:" + on.port())).get("/metrics");
            }
            Thread.sleep(Math.max(0, (end - System.nanoTime()) / 1_000_000));
            result = load.stop();
        }
        long onCpu = CpuMeter.processNanos(on.pid()) - onCpu0;
        long offCpu = CpuMeter.processNanos(off.pid()) - offCpu0;
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
        return new Phase[] {new Phase(onOk, onFailed, onCpu, seconds), new Phase(offOk, offFailed, offCpu, seconds)};
    }

    private static ChatLoad.Target target(LauncherBackend backend) {
        return new ChatLoad.Target(backend.port(), "/api/chat", n -> ("{\"message\":\"What is 2 + 2?\",\"sessionId\":"
                + "\"overhead-" + (n % 64) + "\"}").getBytes(StandardCharsets.UTF_8));
    }
}
