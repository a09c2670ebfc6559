package dev.airouter.reliability;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Reads a fault run's chat timeline ({@link Figures#timeline()}): what was answered in a window. */
final class Timeline {
    private final List<long[]> entries;

    Timeline(List<long[]> entries) {
        this.entries = entries;
    }

    /** Answers to requests that were still open at {@code from} or started before {@code to}. */
    record Window(Map<Integer, Long> statuses, long firstBadStart, long lastBadEnd, long bad) {
        /** @return how long after {@code from} the last non-200 answer arrived, in ms (0 when there was none) */
        double outageMillisAfter(long from) {
            return bad == 0 ? 0 : (lastBadEnd - from) / 1e6;
        }
    }

    Window window(long from, long to) {
        Map<Integer, Long> statuses = new TreeMap<>();
        long firstBad = Long.MAX_VALUE;
        long lastBad = Long.MIN_VALUE;
        long bad = 0;
        for (long[] e : entries) {
            if (e[1] < from || e[0] >= to) {
                continue;
            }
            int status = (int) e[2];
            statuses.merge(status, 1L, Long::sum);
            if (status != 200) {
                bad++;
                firstBad = Math.min(firstBad, e[0]);
                lastBad = Math.max(lastBad, e[1]);
            }
        }
        return new Window(statuses, firstBad, lastBad, bad);
    }

    /** Non-200 answers to requests that started at or after {@code from}. */
    long badStartedAfter(long from) {
        return entries.stream().filter(e -> e[0] >= from && e[2] != 200).count();
    }

    /** Latencies (ms) of the answers with {@code status}. */
    double[] latencies(int status) {
        return entries.stream().filter(e -> e[2] == status).mapToDouble(e -> (e[1] - e[0]) / 1e6).toArray();
    }

    /** Non-200 answers in the window as "+start ms (took ms)", in start order, for the report. */
    String badDetail(long from, long to, int limit) {
        StringBuilder sb = new StringBuilder();
        entries.stream().filter(e -> e[2] != 200 && e[1] >= from && e[0] < to).sorted((a, b) -> Long.compare(a[0], b[0]))
                .limit(limit).forEach(e -> sb.append(sb.length() == 0 ? "" : ", ").append(String.format("+%d (%d ms, %d)",
                        (e[0] - from) / 1_000_000, (e[1] - e[0]) / 1_000_000, e[2])));
        return sb.toString();
    }

    long okStartedAfter(long from) {
        return entries.stream().filter(e -> e[0] >= from && e[2] == 200).count();
    }
}
