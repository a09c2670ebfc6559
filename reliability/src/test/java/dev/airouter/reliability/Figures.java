package dev.airouter.reliability;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Thread-safe counters of a load run: answers by status, a latency histogram (0.1 ms buckets up to
 * 60 s, preallocated so recording allocates nothing), requests that got an unexpected answer, and
 * optionally a timeline of every chat answer for the fault tests.
 */
final class Figures {
    private static final int BUCKETS = 600_000; // 0.1 ms each: 60 s
    private final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
    private final AtomicIntegerArray chatOk = new AtomicIntegerArray(BUCKETS);
    private final LongAdder chatOkCount = new LongAdder();
    private final LongAdder transportErrors = new LongAdder();
    private final LongAdder recallChecked = new LongAdder();
    private final LongAdder recallMisrouted = new LongAdder();
    private final ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<long[]> timeline;

    Figures(boolean keepTimeline) {
        this.timeline = keepTimeline ? new ConcurrentLinkedQueue<>() : null;
    }

    void status(int status) {
        statuses.computeIfAbsent(status, s -> new LongAdder()).increment();
    }

    /** A chat answer: counted, and its latency kept when it is a 200. */
    void chat(int status, long startNanos, long nanos) {
        status(status);
        if (status == 200) {
            chatOk.incrementAndGet((int) Math.min(BUCKETS - 1, nanos / 100_000));
            chatOkCount.increment();
        }
        if (timeline != null) {
            timeline.add(new long[] {startNanos, startNanos + nanos, status});
        }
    }

    void transportError(String what) {
        transportErrors.increment();
        unexpected(what);
        if (timeline != null) {
            timeline.add(new long[] {System.nanoTime(), System.nanoTime(), -1});
        }
    }

    void unexpected(String what) {
        if (unexpected.size() < 100) {
            unexpected.add(what);
        }
    }

    void recall(boolean routedToRecall) {
        (routedToRecall ? recallChecked : recallMisrouted).increment();
    }

    long recallChecked() {
        return recallChecked.sum();
    }

    long recallMisrouted() {
        return recallMisrouted.sum();
    }

    long transportErrors() {
        return transportErrors.sum();
    }

    List<String> unexpected() {
        return new ArrayList<>(unexpected);
    }

    /** @return status → count, sorted */
    Map<Integer, Long> statuses() {
        Map<Integer, Long> out = new TreeMap<>();
        statuses.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    long count(int status) {
        LongAdder a = statuses.get(status);
        return a == null ? 0 : a.sum();
    }

    long total() {
        return statuses.values().stream().mapToLong(LongAdder::sum).sum();
    }

    long serverErrors() {
        return statuses.entrySet().stream().filter(e -> e.getKey() >= 500).mapToLong(e -> e.getValue().sum()).sum();
    }

    long chatOkCount() {
        return chatOkCount.sum();
    }

    /** @return the latency in ms at quantile {@code q} of successful chats (upper bucket bound) */
    double chatPercentileMillis(double q) {
        long n = chatOkCount.sum();
        if (n == 0) {
            return Double.NaN;
        }
        long rank = (long) Math.ceil(q * n);
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += chatOk.get(i);
            if (seen >= rank) {
                return (i + 1) / 10.0;
            }
        }
        return BUCKETS / 10.0;
    }

    /** @return {start, end, status} per chat answer (status -1: no answer), in completion order */
    List<long[]> timeline() {
        return timeline == null ? List.of() : new ArrayList<>(timeline);
    }
}
