package dev.airouter.benchmarks.backend;

import dev.airouter.benchmarks.Stats;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One phase of closed-loop load with the CPU it cost: the backend process's (whole JVM, and by
 * thread name), the routers' processes', the load generator's threads', and the rest of the
 * machine ({@code /proc/stat}): whatever else ran meanwhile (another build, say) is "others", the
 * busy time nobody measured here accounts for, which tells a disturbed phase from a clean one.
 * CPU per request is divided by every request that ended, so the requests still in flight at the
 * stop, whose CPU is counted, are counted too.
 *
 * @param name what ran
 * @param load what the load did
 * @param backendCpuNanos the backend JVM's CPU over the phase (0 when there is no backend)
 * @param backendThreads the backend JVM's CPU by kernel thread name, digits removed (threads that
 *     ended during the phase are missing)
 * @param routersCpuNanos the router processes' CPU over the phase
 * @param machineBusy share of the machine's CPU time that was busy, 0-1
 * @param othersBusy share of the machine's CPU time busy in processes other than the backend, the
 *     routers and this JVM, 0-1
 */
record MeasuredPhase(String name, ChatLoad.Result load, long backendCpuNanos, Map<String, Long> backendThreads,
        long routersCpuNanos, double machineBusy, double othersBusy) {
    private static final long NANOS_PER_TICK = 10_000_000L; // USER_HZ = 100

    /**
     * Runs one phase and measures it.
     *
     * @param name what runs, for the details
     * @param targets one per connection
     * @param length how long
     * @param backendPid the backend's pid, or -1 when the routers are driven directly
     * @param routerPids the routers' pids
     * @return the phase
     * @throws InterruptedException if interrupted
     */
    static MeasuredPhase run(String name, List<ChatLoad.Target> targets, Duration length, long backendPid,
            List<Long> routerPids) throws InterruptedException {
        long backend0 = backendPid > 0 ? CpuMeter.processNanos(backendPid) : 0;
        Map<Long, CpuMeter.Task> threads0 = backendPid > 0 ? CpuMeter.tasks(backendPid) : Map.of();
        long routers0 = sum(routerPids);
        long self0 = CpuMeter.jvmNanos();
        long[] machine0 = CpuMeter.machineTicks();
        ChatLoad.Result load = ChatLoad.run(targets, length);
        long[] machine1 = CpuMeter.machineTicks();
        long self = CpuMeter.jvmNanos() - self0;
        long routers = sum(routerPids) - routers0;
        long backend = backendPid > 0 ? CpuMeter.processNanos(backendPid) - backend0 : 0;
        Map<String, Long> threads = new TreeMap<>();
        if (backendPid > 0) {
            CpuMeter.tasks(backendPid).forEach((tid, end) -> {
                CpuMeter.Task start = threads0.get(tid);
                threads.merge(end.name(), end.nanos() - (start == null ? 0 : start.nanos()), Long::sum);
            });
        }
        long total = machine1[1] - machine0[1];
        long busy = machine1[0] - machine0[0];
        double busyShare = total > 0 ? (double) busy / total : 0;
        double others = total > 0 ? Math.max(0, busy * NANOS_PER_TICK - backend - routers - self)
                / (double) (total * NANOS_PER_TICK) : 0;
        return new MeasuredPhase(name, load, backend, threads, routers, busyShare, others);
    }

    private static long sum(List<Long> pids) {
        long total = 0;
        for (long pid : pids) {
            total += Math.max(0, CpuMeter.processNanos(pid));
        }
        return total;
    }

    double perSecond() {
        return load.perSecond();
    }

    /** @return requests that ended, the stop's stragglers included: what the CPU figures divide by */
    long ended() {
        return Math.max(1, load.requests().size());
    }

    double backendCpuMsPerRequest() {
        return backendCpuNanos / 1e6 / ended();
    }

    double routersCpuMsPerRequest() {
        return routersCpuNanos / 1e6 / ended();
    }

    /**
     * How many cores the routers kept busy: their CPU over the phase's length. The fixture does a
     * fixed amount of work per request, so this is the throughput with the host's speed factored out
     * (on a virtual machine the same loops took 10 to 13 ms from one phase to the next).
     *
     * @return router CPU seconds per second
     */
    double routerCores() {
        return routersCpuNanos / 1e9 / load.seconds();
    }

    double clientCpuMsPerRequest() {
        return load.clientCpuNanos() / 1e6 / ended();
    }

    /**
     * The backend's CPU per request in its request-path threads: Undertow's IO threads, the workers,
     * OkHttp's and Okio's threads (kernel names {@code airouter-backen}, {@code airouter-worke},
     * {@code airouter-okhtt}, {@code OkHttp…}, {@code Okio…}), without JIT, GC and supervision.
     *
     * @return milliseconds per request
     */
    double requestThreadsCpuMsPerRequest() {
        long sum = 0;
        for (Map.Entry<String, Long> e : backendThreads.entrySet()) {
            String t = e.getKey();
            if (t.startsWith("airouter-backen") || t.startsWith("airouter-worke") || t.startsWith("airouter-okhtt")
                    || t.startsWith("OkHttp") || t.startsWith("Okio")) {
                sum += e.getValue();
            }
        }
        return sum / 1e6 / ended();
    }

    /** @return one line for the details: rate, failures, latency, CPU per request, machine and others busy */
    String describe() {
        List<Double> millis = load.requests().stream().filter(ChatLoad.Request::ok).map(ChatLoad.Request::millis).toList();
        Stats latency = millis.isEmpty() ? Stats.of(List.of(0.0)) : Stats.of(millis);
        return String.format(Locale.ROOT, "%-34s %7.1f req/s  %5d failed  p50 %6.1f ms  p99 %6.1f ms  CPU ms/req:"
                + " backend %.3f (request threads %.3f)  routers %.3f  load generator %.3f  machine %3.0f %% busy, others %2.0f %%",
                name, perSecond(), load.failed(), latency.median(), latency.quantile(0.99), backendCpuMsPerRequest(),
                requestThreadsCpuMsPerRequest(), routersCpuMsPerRequest(), clientCpuMsPerRequest(), 100 * machineBusy,
                100 * othersBusy);
    }

    /**
     * The backend's threads that used the most CPU, per request.
     *
     * @param top how many
     * @return e.g. {@code airouter-worke 0.120; airouter-backen 0.080; …}
     */
    String topThreads(int top) {
        StringBuilder sb = new StringBuilder();
        backendThreads.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
                .forEach(e -> sb.append(String.format(Locale.ROOT, "%s %.3f; ", e.getKey(), e.getValue() / 1e6 / ended())));
        return sb.toString().trim();
    }
}
