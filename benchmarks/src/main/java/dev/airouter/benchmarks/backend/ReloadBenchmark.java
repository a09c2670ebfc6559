package dev.airouter.benchmarks.backend;

import dev.airouter.backend.BackendConfig;
import dev.airouter.backend.ChatBackend;
import dev.airouter.backend.ReloadResult;
import dev.airouter.benchmarks.Stats;
import dev.airouter.lifecycle.ReplicaEvent;
import dev.airouter.session.SessionStoreConfig;
import dev.airouter.testing.Fixtures;
import dev.airouter.testing.FreePorts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A router reload under chat load, as the clients see it: 16 connections chat without a pause
 * while the backend reloads its router, whose start takes {@code S} seconds of CPU (a stand-in for a
 * model load: the bundled router behind {@link Fixtures#slowStart}). Per start time, two ways:
 * <ul>
 *   <li><b>blue/green</b> ({@code ChatBackend.reload()}, routers on free ports): the new router starts
 *       beside the old one, which serves meanwhile;
 *   <li><b>stop, then start</b> (the peer: the same reload with a fixed {@code routerPort}, which must
 *       stop the old router before the new one can listen — what a restart costs today).
 * </ul>
 * Figures per reload: failed requests (target 0), p99 latency while the reload runs against the p99
 * of the same length of load just before it, and the time from the trigger to the new generation
 * serving (its READY event, when the dispatcher switches); medians over the reloads.
 *
 * <p>Usage: {@code ReloadBenchmark [RELOADS] [START_SECONDS,...]} (default 3 reloads, starts of 3
 * and 13 s). Run from the repository root (it runs {@code python-router/}). Prints a Markdown table
 * and the details.
 */
public final class ReloadBenchmark {
    private static final int CLIENTS = 16;

    private final Path routerDir;
    private final int reloads;
    private final Duration warmUp;
    private final Duration before;
    private final Duration after;

    /**
     * @param routerDir holds the {@code ai_router} package
     * @param reloads reloads per case
     * @param warmUp load before the first measured window
     * @param before the window of load measured before each reload
     * @param after load after each reload (counted for failures)
     */
    ReloadBenchmark(Path routerDir, int reloads, Duration warmUp, Duration before, Duration after) {
        this.routerDir = routerDir;
        this.reloads = reloads;
        this.warmUp = warmUp;
        this.before = before;
        this.after = after;
    }

    /** One reload as the load saw it. */
    record Reload(double triggerToServingMs, double totalMs, long failedDuring, long failedAround,
            double p99BeforeMs, double p99DuringMs, long requestsDuring, double longestGapMs, double gapBeforeMs) {}

    /**
     * @param args reloads per case, start seconds (comma-separated)
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        int reloads = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        List<Integer> starts = new ArrayList<>();
        for (String s : (args.length > 1 ? args[1] : "3,13").split(",")) {
            starts.add(Integer.parseInt(s.trim()));
        }
        Path routerDir = Path.of("python-router").toAbsolutePath();
        if (!Files.isRegularFile(routerDir.resolve("ai_router").resolve("__main__.py"))) {
            throw new IllegalStateException("run from the repository root: " + routerDir + " has no ai_router");
        }
        System.out.println(new ReloadBenchmark(routerDir, reloads, Duration.ofSeconds(3), Duration.ofSeconds(8),
                Duration.ofSeconds(3)).report(starts));
    }

    /**
     * Runs every case.
     *
     * @param starts router start times, in seconds
     * @return the Markdown table, a note and the details
     * @throws Exception on failure
     */
    String report(List<Integer> starts) throws Exception {
        StringBuilder table = new StringBuilder();
        StringBuilder details = new StringBuilder();
        table.append("| router start (CPU) | reload | failed requests (all reloads) | longest time without an answer"
                + " (median; before the reload) | trigger → new generation serving (median, min–max) | p99 of answers"
                + " before → during the reload (median) | whole reload incl. drain and stop |\n");
        table.append("|---|---|---|---|---|---|---|\n");
        for (int start : starts) {
            for (boolean blueGreen : new boolean[] {true, false}) {
                List<Reload> runs = run(start, blueGreen, details);
                Stats serving = Stats.of(runs.stream().map(Reload::triggerToServingMs).toList());
                Stats total = Stats.of(runs.stream().map(Reload::totalMs).toList());
                Stats p99Before = Stats.of(runs.stream().map(Reload::p99BeforeMs).toList());
                Stats p99During = Stats.of(runs.stream().map(Reload::p99DuringMs).toList());
                long failed = runs.stream().mapToLong(r -> r.failedDuring() + r.failedAround()).sum();
                long during = runs.stream().mapToLong(Reload::requestsDuring).sum();
                Stats gap = Stats.of(runs.stream().map(Reload::longestGapMs).toList());
                Stats gapBefore = Stats.of(runs.stream().map(Reload::gapBeforeMs).toList());
                table.append(String.format(Locale.ROOT, "| %d s | %s | %d of %d | %.0f ms (%.0f ms) | %.0f ms (%.0f–%.0f)"
                        + " | %.0f → %.0f ms (×%.1f) | %.0f ms |%n", start, blueGreen ? "blue/green" : "stop, then start (peer)",
                        failed, during, gap.median(), gapBefore.median(), serving.median(), serving.min(), serving.max(),
                        p99Before.median(), p99During.median(), p99During.median() / p99Before.median(), total.median()));
            }
        }
        StringBuilder out = new StringBuilder(table).append('\n');
        out.append("Reload under load: " + CLIENTS + " connections chatting back to back (closed loop) against one"
                + " router; each reload's router start burns one core for the start time (a model load), so the old"
                + " router, the backend and the load share what is left. 'Failed' counts every answer other than 200"
                + " from " + before.toSeconds() + " s before each reload to " + after.toSeconds() + " s after it. p99 before:"
                + " the " + before.toSeconds() + " s just before the trigger; during: from the trigger to the end of the"
                + " reload. Longest time without an answer: the longest stretch from the trigger to " + after.toSeconds()
                + " s after the reload in which no request was answered 200 (in brackets the same over the "
                + before.toSeconds() + " s before it). Command: `java -cp \"benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)\""
                + " dev.airouter.benchmarks.backend.ReloadBenchmark " + reloads + "`.\n\n");
        out.append("```\n").append(details).append("```\n");
        return out.toString();
    }

    private List<Reload> run(int startSeconds, boolean blueGreen, StringBuilder details) throws Exception {
        Path logs = Files.createTempDirectory("airouter-bench-reload-");
        List<String> command = new ArrayList<>(Fixtures.slowStart(Duration.ofSeconds(startSeconds), true,
                List.of(Fixtures.python(), "-m", "ai_router", "--lifeline", "ppid")));
        BackendConfig.Builder config = BackendConfig.builder().port(0).routerDirectory(routerDir).logDir(logs)
                .shutdownHook(false).storeConfig(SessionStoreConfig.builder().redisUrl("none").historyLimit(100).build())
                .routerCommand(command).routerTimeout(Duration.ofSeconds(60))
                .routerPort(blueGreen ? 0 : FreePorts.next());
        Map<Long, Long> readyAt = new ConcurrentHashMap<>(); // generation → System.nanoTime() of its first READY
        List<Reload> out = new ArrayList<>();
        try (ChatBackend backend = ChatBackend.create(config.build())) {
            backend.addRouterListener(e -> {
                if (e.kind() == ReplicaEvent.Kind.READY) {
                    readyAt.putIfAbsent(e.replica().generation(), System.nanoTime());
                }
            });
            backend.start();
            ChatLoad.Target target = new ChatLoad.Target(backend.port(), "/api/chat", n -> ("{\"message\":\"what is "
                    + (n % 97) + " times 7\",\"sessionId\":\"reload-bench-" + (n % CLIENTS) + "\"}")
                    .getBytes(StandardCharsets.UTF_8));
            List<long[]> windows = new ArrayList<>(); // trigger, end of reload, generation
            ChatLoad.Result result;
            try (ChatLoad load = ChatLoad.start(ChatLoad.times(CLIENTS, target))) {
                Thread.sleep(warmUp.toMillis()); // the load runs meanwhile
                for (int i = 0; i < reloads; i++) {
                    Thread.sleep(before.toMillis());
                    long t0 = System.nanoTime();
                    ReloadResult r = backend.reload();
                    long t1 = System.nanoTime();
                    windows.add(new long[] {t0, t1, r.toGeneration()});
                }
                Thread.sleep(after.toMillis());
                result = load.stop();
            }
            for (long[] w : windows) {
                long t0 = w[0];
                long t1 = w[1];
                Long serving = readyAt.get(w[2]);
                List<ChatLoad.Request> ahead = between(result, t0 - before.toNanos(), t0);
                List<ChatLoad.Request> during = between(result, t0, t1);
                List<ChatLoad.Request> behind = between(result, t1, t1 + after.toNanos());
                Reload reload = new Reload(serving == null ? Double.NaN : (serving - t0) / 1e6, (t1 - t0) / 1e6,
                        failed(during), failed(ahead) + failed(behind), p99(ahead), p99(during), during.size(),
                        longestGap(result, t0, t1 + after.toNanos()), longestGap(result, t0 - before.toNanos(), t0));
                out.add(reload);
                details.append(String.format(Locale.ROOT, "start %2d s, %-16s generation %d: serving after %.0f ms,"
                        + " reload %.0f ms, requests before/during/after %d/%d/%d, failed %d/%d/%d, p99 %.1f → %.1f ms,"
                        + " longest without an answer %.0f ms (before: %.0f ms)%n",
                        startSeconds, blueGreen ? "blue/green" : "stop-then-start", w[2], reload.triggerToServingMs(),
                        reload.totalMs(), ahead.size(), during.size(), behind.size(), failed(ahead), failed(during),
                        failed(behind), reload.p99BeforeMs(), reload.p99DuringMs(), reload.longestGapMs(),
                        reload.gapBeforeMs()));
            }
        }
        return out;
    }

    private static List<ChatLoad.Request> between(ChatLoad.Result result, long from, long to) {
        return result.requests().stream().filter(r -> r.startNanos() >= from && r.startNanos() < to).toList();
    }

    private static long failed(List<ChatLoad.Request> requests) {
        return requests.stream().filter(r -> !r.ok()).count();
    }

    /** p99 of the answers (200s): a refusal in microseconds is no latency. */
    private static double p99(List<ChatLoad.Request> requests) {
        List<Double> ok = requests.stream().filter(ChatLoad.Request::ok).map(ChatLoad.Request::millis).toList();
        return ok.isEmpty() ? Double.NaN : Stats.of(ok).quantile(0.99);
    }

    /** The longest stretch in [from, to) in which no request was answered 200, as the clients saw it. */
    private static double longestGap(ChatLoad.Result result, long from, long to) {
        long[] ends = result.requests().stream().filter(r -> r.ok() && r.endNanos() >= from && r.endNanos() < to)
                .mapToLong(ChatLoad.Request::endNanos).sorted().toArray();
        long previous = from;
        long longest = 0;
        for (long end : ends) {
            longest = Math.max(longest, end - previous);
            previous = end;
        }
        return Math.max(longest, to - previous) / 1e6;
    }
}
