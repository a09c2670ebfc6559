package dev.airouter.benchmarks.backend;

import dev.airouter.benchmarks.Stats;
import dev.airouter.benchmarks.backend.RouterPoolBenchmark.Row;
import dev.airouter.testing.HttpConnection;
import dev.airouter.testing.Processes;
import dev.airouter.testing.RawHttp;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Part 4 of {@link RouterPoolBenchmark}: {@code kill -9} of one of two router replicas under steady
 * chat load (8 connections, CPU-bound router). Per round: load for a steady stretch, SIGKILL of one
 * replica (its pid from {@code GET /health}, the other replica each round), {@code /health} polled
 * every {@value #POLL_MILLIS} ms until that replica is ready again with a new pid, then one more
 * second of load. Windows: "before" is the requests that ended in the steady stretch (its first
 * half-second left out); the "crash window" is the requests in flight at any moment between the
 * kill and the replica's return (they overlap that interval). Failed requests are counted over the
 * whole run; the backend log's retries ("retrying on") are counted beside them.
 */
final class CrashUnderLoad {
    static final long POLL_MILLIS = 10;
    private static final Duration BACK_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration AFTER = Duration.ofSeconds(1);
    private final LauncherBackend backend;
    private final int rounds;
    private final Duration steady;

    CrashUnderLoad(LauncherBackend backend, int rounds, Duration steady) {
        this.backend = backend;
        this.rounds = rounds;
        this.steady = steady;
    }

    /**
     * Runs the crash rounds.
     *
     * @param rows where the table rows go
     * @param details where the per-round lines go
     * @throws IOException if the backend stops answering or a replica does not come back
     * @throws InterruptedException if interrupted
     */
    void run(List<Row> rows, StringBuilder details) throws IOException, InterruptedException {
        long failed = 0;
        long windowRequests = 0;
        long retries = 0;
        List<Double> beforeP99 = new ArrayList<>();
        List<Double> windowP99 = new ArrayList<>();
        List<Double> ratio = new ArrayList<>();
        List<Double> windowMillis = new ArrayList<>();
        details.append(String.format(Locale.ROOT, "Crash under load: --routers 2, %d connections, kill -9 of one"
                + " replica after %d s of steady load%n", RouterPoolBenchmark.CONNECTIONS, steady.toSeconds()));
        for (int round = 1; round <= rounds; round++) {
            Crash c = crashOnce(round % 2);
            failed += c.load.failed();
            windowRequests += c.window.size();
            retries += c.retries;
            Stats before = latencies(c.before);
            Stats window = latencies(c.window);
            beforeP99.add(before.quantile(0.99));
            windowP99.add(window.quantile(0.99));
            ratio.add(window.quantile(0.99) / before.quantile(0.99));
            windowMillis.add(c.backMillis);
            details.append(String.format(Locale.ROOT, "round %d: killed replica #%d (pid %d) -> back as pid %d after"
                    + " %.0f ms; %d requests, %d failed, %d retried (backend log); before: %d requests p50 %.1f p99"
                    + " %.1f ms; crash window: %d requests p50 %.1f p99 %.1f max %.1f ms%n", round, c.index, c.killedPid,
                    c.newPid, c.backMillis, c.load.requests().size(), c.load.failed(), c.retries, c.before.size(),
                    before.median(), before.quantile(0.99), c.window.size(), window.median(), window.quantile(0.99),
                    window.max()));
            details.append("  slowest in the window (start relative to the kill, latency, status): ");
            c.window.stream().sorted((x, y) -> Double.compare(y.millis(), x.millis())).limit(4).forEach(r -> details.append(
                    String.format(Locale.ROOT, "%+.0f ms %.0f ms %d; ", (r.startNanos() - c.killAt) / 1e6, r.millis(),
                            r.status())));
            details.append('\n');
        }
        rows.add(new Row("crash: `kill -9` of one of 2 replicas under 8 connections, failed requests (all rounds)",
                failed + " of " + windowRequests + " in the crash windows (" + retries + " retried on the other replica)",
                "-", "-", "0"));
        rows.add(new Row("crash: p99 latency in the crash window (kill -> replica ready again: "
                + RouterPoolBenchmark.spread(windowMillis, "%.0f ms") + ") vs before the kill",
                RouterPoolBenchmark.spread(windowP99, "%.0f ms"), RouterPoolBenchmark.spread(beforeP99, "%.0f ms"),
                RouterPoolBenchmark.spread(ratio, "%.2fx"), "- (reported)"));
    }

    private record Crash(int index, long killedPid, long newPid, long killAt, double backMillis, long retries,
            ChatLoad.Result load,
            List<ChatLoad.Request> before, List<ChatLoad.Request> window) {}

    private Crash crashOnce(int index) throws IOException, InterruptedException {
        try (HttpConnection health = RawHttp.keepAlive("127.0.0.1", backend.port(), Duration.ofSeconds(10))) {
            awaitAllReady(health);
            long retries0 = backend.logLinesContaining("retrying on");
            ChatLoad load = ChatLoad.start(ChatLoad.times(RouterPoolBenchmark.CONNECTIONS,
                    RouterPoolBenchmark.chat(backend, true)));
            try (load) {
                long steadyFrom = System.nanoTime() + Duration.ofMillis(500).toNanos();
                Thread.sleep(steady.toMillis()); // the load runs meanwhile
                long killedPid = backend.replicas(health).get(index).pid();
                long killAt = System.nanoTime();
                Processes.kill(killedPid); // SIGKILL
                long deadline = killAt + BACK_TIMEOUT.toNanos();
                LauncherBackend.Replica now;
                do {
                    Thread.sleep(POLL_MILLIS); // polling /health: the backend offers nothing to wait on
                    now = backend.replicas(health).get(index);
                    if (System.nanoTime() > deadline) {
                        throw new IOException("replica #" + index + " not ready again " + BACK_TIMEOUT.toSeconds()
                                + " s after kill -9 of pid " + killedPid + "; backend output:\n" + backend.lastLines());
                    }
                } while (!now.ready() || now.pid() == killedPid);
                long backAt = System.nanoTime();
                Thread.sleep(AFTER.toMillis());
                ChatLoad.Result result = load.stop();
                List<ChatLoad.Request> before = result.requests().stream()
                        .filter(r -> r.startNanos() >= steadyFrom && r.endNanos() < killAt).toList();
                List<ChatLoad.Request> window = result.requests().stream()
                        .filter(r -> r.endNanos() > killAt && r.startNanos() < backAt).toList();
                return new Crash(index, killedPid, now.pid(), killAt, (backAt - killAt) / 1e6,
                        backend.logLinesContaining("retrying on") - retries0, result, before, window);
            }
        }
    }

    private void awaitAllReady(HttpConnection health) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + BACK_TIMEOUT.toNanos();
        while (!backend.replicas(health).stream().allMatch(LauncherBackend.Replica::ready)) {
            if (System.nanoTime() > deadline) {
                throw new IOException("the replicas were not all ready within " + BACK_TIMEOUT.toSeconds() + " s; "
                        + backend.replicas(health));
            }
            Thread.sleep(POLL_MILLIS); // polling /health
        }
    }

    /** Latencies of the requests (failed ones too: a failure that took long is part of the window). */
    private static Stats latencies(List<ChatLoad.Request> requests) {
        return Stats.of(requests.isEmpty() ? List.of(0.0) : requests.stream().map(ChatLoad.Request::millis).toList());
    }
}
