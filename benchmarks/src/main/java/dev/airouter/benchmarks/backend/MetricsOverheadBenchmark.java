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
 * <p>After a warm-up of both (the JIT compiles the same paths in each), {@code rounds} paired rounds:
 * {@code seconds} of load on one backend, then on the other, the order swapped every round so that
 * drift hits both. Each phase measures the backend process's CPU ({@code /proc/<pid>/stat}, every
 * thread: IO, workers, JIT, GC) divided by the requests it answered. The metrics-on phase is scraped
 * once ({@code GET /metrics}, inside the measured window), as Prometheus would every 15 s. The figure is
 * the on/off ratio per round: median and spread. Target: at most 1.03.
 *
 * <p>Arguments: {@code launcher.jar [rounds=5] [seconds=10] [connections=4] [warmupSeconds=20]}.
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
        int connections = args.length > 3 ? Integer.parseInt(args[3]) : 4;
        int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 20;
        String router = FixtureRouter.routerCommand(0);
        try (LauncherBackend on = LauncherBackend.start(jar, "metrics-on", List.of("--router-command", router));
                LauncherBackend off = LauncherBackend.start(jar, "metrics-off", List.of("--router-command", router,
                        "--no-metrics"))) {
            RawHttp.Response scrape = RawHttp.to(java.net.URI.create("http://127.0.0.1:" + on.port())).get("/metrics");
            if (scrape.status() != 200 || RawHttp.to(java.net.URI.create("http://127.0.0.1:" + off.port()))
                    .get("/metrics").status() != 404) {
                throw new IllegalStateException("expected /metrics 200 on the metrics-on backend and 404 on the other");
            }
            phase(on, connections, Duration.ofSeconds(warmup), false);
            phase(off, connections, Duration.ofSeconds(warmup), false);
            List<Double> ratios = new ArrayList<>();
            List<Double> onMicros = new ArrayList<>();
            List<Double> offMicros = new ArrayList<>();
            StringBuilder rows = new StringBuilder();
            for (int round = 1; round <= rounds; round++) {
                Phase a;
                Phase b;
                if (round % 2 == 1) {
                    a = phase(on, connections, Duration.ofSeconds(seconds), true);
                    b = phase(off, connections, Duration.ofSeconds(seconds), false);
                } else {
                    b = phase(off, connections, Duration.ofSeconds(seconds), false);
                    a = phase(on, connections, Duration.ofSeconds(seconds), true);
                }
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
            System.out.printf(Locale.ROOT, "%d paired rounds of %d s, %d connections, in-memory store, a fixture router"
                    + " doing no work; CPU of the whole backend process (/proc), µs per request.%n%n", rounds, seconds,
                    connections);
            System.out.printf("| round | metrics on: µs/request (throughput) | --no-metrics | on/off |%n|---|---|---|---|%n");
            System.out.print(rows);
            System.out.printf(Locale.ROOT, "%nOn/off ratio: median %.3f, min %.3f, max %.3f (target ≤ 1.03);"
                    + " µs per request: on %.0f, off %.0f (medians).%n%n", r.median(), r.min(), r.max(),
                    Stats.of(onMicros).median(), Stats.of(offMicros).median());
        }
    }

    private static Phase phase(LauncherBackend backend, int connections, Duration length, boolean scrape)
            throws Exception {
        long cpu0 = CpuMeter.processNanos(backend.pid());
        long t0 = System.nanoTime();
        ChatLoad.Result result;
        try (ChatLoad load = ChatLoad.start(ChatLoad.times(connections, new ChatLoad.Target(backend.port(),
                "/api/chat", n -> ("{\"message\":\"What is 2 + 2?\",\"sessionId\":\"overhead-" + (n % 64) + "\"}")
                        .getBytes(StandardCharsets.UTF_8))))) {
            Thread.sleep(length.toMillis() / 2); // the load runs meanwhile
            if (scrape) {
                RawHttp.to(java.net.URI.create("http://127.0.0.1:" + backend.port())).get("/metrics");
            }
            Thread.sleep(length.toMillis() - length.toMillis() / 2);
            result = load.stop();
        }
        long cpu = CpuMeter.processNanos(backend.pid()) - cpu0;
        long ok = result.requests().stream().filter(ChatLoad.Request::ok).count();
        return new Phase(ok, result.failed(), cpu, (System.nanoTime() - t0) / 1e9);
    }
}
