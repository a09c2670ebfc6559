package dev.airouter.benchmarks.lifecycle;

import dev.airouter.lifecycle.ProcessPool;
import dev.airouter.lifecycle.Replica;
import dev.airouter.testing.RawHttp;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a dispatcher in front of a {@link ProcessPool} sees while the pool changes, from two threads.
 *
 * <p>The poller takes {@link ProcessPool#replicas()} every {@value #INTERVAL_MILLIS} ms, publishes it
 * as the latest snapshot and records the longest stretch in which no replica was ready: from the
 * first poll that found none to the next poll that found one (so a single empty poll counts about
 * one interval; the resolution is the interval). The prober, every {@value #INTERVAL_MILLIS} ms or
 * so, picks a ready replica of the latest snapshot (round robin) and sends it {@code GET /health} on
 * a new connection. A failed request is sorted by a fresh look at the pool: if the replica it went to
 * is still ready there, the failure is real; if it is retiring or gone, the pick came from a snapshot
 * taken before it retired (a dispatcher without in-flight counting and drain would do the same).
 */
final class ReplaceWatch {
    static final long INTERVAL_MILLIS = 5;
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final Pattern GENERATION = Pattern.compile("\"generation\": (\\d+)");
    private static final int SAMPLES = 5;

    private final ProcessPool pool;
    private final Thread poller;
    private final Thread prober;
    private volatile boolean running = true;
    private volatile Snapshot latest;

    // written by the poller only, read after join()
    private int polls;
    private int emptyPolls;
    private long longestGapNanos;

    // written by the prober only, read after join()
    private int probes;
    private int answered;
    private int noneReady;
    private int failedWhileReady;
    private int failedStale;
    private final Map<Long, Integer> answersByGeneration = new TreeMap<>();
    private final List<String> failures = new ArrayList<>();

    private record Snapshot(List<Replica> replicas, long takenNanos) {}

    /**
     * What the two threads saw.
     *
     * @param polls snapshots taken
     * @param emptyPolls snapshots without a ready replica
     * @param longestGapMs the longest stretch without a ready replica (0 if none)
     * @param probes requests sent
     * @param answered requests answered 200 by the generation picked
     * @param noneReady times the prober found no ready replica to pick (no request sent)
     * @param failedWhileReady failed requests to a replica still ready afterwards (target 0)
     * @param failedStale failed requests to a replica that had retired or gone since the snapshot
     * @param answersByGeneration answers per generation
     * @param failures the first few failures, described
     */
    record Result(int polls, int emptyPolls, double longestGapMs, int probes, int answered, int noneReady,
            int failedWhileReady, int failedStale, Map<Long, Integer> answersByGeneration, List<String> failures) {}

    private ReplaceWatch(ProcessPool pool) {
        this.pool = pool;
        this.poller = daemon("bench-pool-poller", this::poll);
        this.prober = daemon("bench-pool-prober", this::probe);
    }

    /**
     * Starts watching {@code pool}.
     *
     * @param pool a started pool
     * @return the watch; {@link #finish()} it
     */
    static ReplaceWatch start(ProcessPool pool) {
        ReplaceWatch watch = new ReplaceWatch(pool);
        watch.latest = new Snapshot(pool.replicas(), System.nanoTime());
        watch.poller.start();
        watch.prober.start();
        return watch;
    }

    /** Ends both threads and returns what they saw. */
    Result finish() throws InterruptedException {
        running = false;
        poller.join();
        prober.join();
        return new Result(polls, emptyPolls, longestGapNanos / 1e6, probes, answered, noneReady, failedWhileReady,
                failedStale, Map.copyOf(answersByGeneration), List.copyOf(failures));
    }

    private void poll() {
        long gapStart = -1;
        long now = System.nanoTime();
        while (running) {
            List<Replica> replicas = pool.replicas();
            now = System.nanoTime();
            latest = new Snapshot(replicas, now);
            polls++;
            if (replicas.stream().noneMatch(Replica::isReady)) {
                emptyPolls++;
                if (gapStart < 0) {
                    gapStart = now;
                }
            } else if (gapStart >= 0) {
                longestGapNanos = Math.max(longestGapNanos, now - gapStart);
                gapStart = -1;
            }
            pause();
        }
        if (gapStart >= 0) { // still without a ready replica when the watch ended
            longestGapNanos = Math.max(longestGapNanos, now - gapStart);
        }
    }

    private void probe() {
        int turn = 0;
        while (running) {
            Snapshot snapshot = latest;
            List<Replica> ready = snapshot.replicas().stream().filter(Replica::isReady).toList();
            if (ready.isEmpty()) {
                noneReady++;
                pause();
                continue;
            }
            Replica target = ready.get(Math.floorMod(turn++, ready.size()));
            double ageMs = (System.nanoTime() - snapshot.takenNanos()) / 1e6;
            probes++;
            String failure;
            try {
                RawHttp.Response response = RawHttp.to(target.url()).withTimeout(PROBE_TIMEOUT).get("/health");
                Matcher m = GENERATION.matcher(response.text());
                if (response.status() == 200 && m.find() && Long.parseLong(m.group(1)) == target.generation()) {
                    answered++;
                    answersByGeneration.merge(target.generation(), 1, Integer::sum);
                    failure = null;
                } else {
                    failure = "status " + response.status() + ", body " + response.text();
                }
            } catch (UncheckedIOException e) {
                failure = String.valueOf(e.getCause());
            } catch (RuntimeException e) { // e.g. a malformed response: count it, keep probing
                failure = e.toString();
            }
            if (failure != null) {
                sort(target, failure, ageMs);
            }
            pause();
        }
    }

    private void sort(Replica target, String failure, double ageMs) {
        boolean stillReady = pool.replicas().stream().anyMatch(r -> r.index() == target.index()
                && r.generation() == target.generation() && r.isReady());
        if (stillReady) {
            failedWhileReady++;
        } else {
            failedStale++;
        }
        if (failures.size() < SAMPLES) {
            failures.add(String.format(Locale.ROOT, "#%d g%d port %d, picked from a snapshot %.1f ms old, %s: %s",
                    target.index(), target.generation(), target.port(), ageMs,
                    stillReady ? "STILL READY" : "retired or gone by now", failure));
        }
    }

    private static void pause() {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(INTERVAL_MILLIS));
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        return t;
    }
}
