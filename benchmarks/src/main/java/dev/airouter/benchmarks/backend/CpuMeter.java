package dev.airouter.benchmarks.backend;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * CPU time of the in-process backend, of other processes (routers, a backend in its own JVM) and of
 * the whole machine.
 *
 * <p>Backend ({@link #byGroup}): {@link ThreadMXBean#getThreadCpuTime} summed over the threads the
 * backend owns: Undertow's IO threads {@code airouter-backend I/O-N}; the worker pool
 * {@code airouter-worker-N}, which also runs the OkHttp calls and the store calls; the router
 * client's pool-cleanup thread {@code airouter-okhttp-pool-N}; OkHttp's, Okio's and Lettuce's own
 * threads; and router-lifecycle's threads for the router, {@code airouter-ai-router-…}, whose log
 * pump reads the line the router logs per request. The load generator's threads in the same JVM are
 * excluded; JVM-wide work (JIT, GC) is not attributed.
 * Router: {@code utime + stime} of {@code /proc/<pid>/stat} (10 ms ticks; fine over thousands of
 * requests). A backend in its own JVM: the same for the process, and {@link #tasks} for its threads.
 * The machine: {@link #machineTicks}.
 */
final class CpuMeter {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private CpuMeter() {}

    /** The backend's thread groups, by Java thread name prefix; in kernel names (15 chars) too. */
    static final String[][] GROUPS = {
        {"Undertow IO", "airouter-backend I/O"},
        {"workers", "airouter-worker"},
        {"OkHttp pool cleanup", "airouter-okhttp-pool"},
        {"other OkHttp", "OkHttp"},
        {"Okio Watchdog", "Okio Watchdog"},
        {"Lettuce event loop", "lettuce-"},
        {"router supervision (log pump, probes)", "airouter-ai-router"},
    };

    static String group(String threadName) {
        for (String[] g : GROUPS) {
            if (threadName.startsWith(g[1])) {
                return g[0];
            }
        }
        return null;
    }

    /**
     * CPU nanoseconds and context switches so far per thread group of {@link #GROUPS}: where the
     * backend's CPU goes, and which hand-offs between threads it pays for.
     *
     * @return group name to {cpu nanoseconds, context switches}
     */
    static Map<String, long[]> byGroup() {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (String[] g : GROUPS) {
            out.put(g[0], new long[2]);
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            String group = group(t.getName());
            long cpu = group == null ? -1 : THREADS.getThreadCpuTime(t.getId());
            if (cpu > 0) {
                out.get(group)[0] += cpu;
            }
        }
        for (String[] g : GROUPS) {
            out.get(g[0])[1] = contextSwitches(g[1].length() > 15 ? g[1].substring(0, 15) : g[1]);
        }
        return out;
    }

    /** @return CPU nanoseconds used so far by process {@code pid} (user + system) */
    static long processNanos(long pid) {
        try {
            return statNanos(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** utime + stime of a {@code /proc/.../stat} line, in nanoseconds (USER_HZ = 100). */
    private static long statNanos(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10_000_000L;
    }

    /**
     * Context switches (voluntary + involuntary) so far of this JVM's threads whose kernel name
     * (the first 15 characters of the Java name) starts with one of {@code prefixes}; threads that
     * ended meanwhile are not counted. A thread handing work to another costs at least one switch,
     * and on a virtual machine each one is expensive, so this explains the CPU figures.
     *
     * @param prefixes thread name prefixes
     * @return the switch count
     */
    static long contextSwitches(String... prefixes) {
        long total = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String name = Files.readString(task.resolve("comm")).trim();
                    boolean match = false;
                    for (String prefix : prefixes) {
                        match |= name.startsWith(prefix);
                    }
                    if (!match) {
                        continue;
                    }
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.contains("ctxt_switches")) {
                            total += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we looked
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return total;
    }

    /**
     * CPU nanoseconds so far of every thread of this JVM, summed by kernel thread name with digits
     * removed ({@code C2 CompilerThre}, {@code GC Thread#}, {@code airouter-worke-}…), from
     * {@code /proc/self/task} (10 ms ticks): it sees the JIT compiler and GC threads, which Java's
     * thread list does not.
     *
     * @return name to CPU nanoseconds
     */
    static Map<String, Long> byKernelName() {
        Map<String, Long> out = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "");
                    out.merge(name, statNanos(stat), Long::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we looked
                }
            }
        } catch (IOException e) {
            // not Linux: no breakdown
        }
        return out;
    }

    /** One thread of a process: its kernel name with digits removed, and its CPU so far. */
    record Task(String name, long nanos) {}

    /**
     * Every thread of a process by thread id, from {@code /proc/<pid>/task} (10 ms ticks). Keyed by
     * id, so a phase's delta can tell a thread that started during it (all its CPU counts) from one
     * that ended (its CPU is lost from the sum; the process total in {@link #processNanos} keeps it).
     *
     * @param pid the process
     * @return thread id to its name and CPU; empty if the process is gone
     */
    static Map<Long, Task> tasks(long pid) {
        Map<Long, Task> out = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "");
                    out.put(Long.parseLong(task.getFileName().toString()), new Task(name, statNanos(stat)));
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we looked
                }
            }
        } catch (IOException e) {
            // the process is gone, or not Linux
        }
        return out;
    }

    /**
     * The whole machine's CPU time so far, from the first line of {@code /proc/stat}: how busy the
     * cores were over a phase, which says whether a throughput figure is bounded by the cores.
     *
     * @return {busy, total} in clock ticks (busy = total - idle - iowait), or {0, 0} if unknown
     */
    static long[] machineTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) { // user nice system idle iowait irq softirq steal
                total += Long.parseLong(f[i]);
            }
            return new long[] {total - Long.parseLong(f[4]) - Long.parseLong(f[5]), total};
        } catch (IOException | RuntimeException e) {
            return new long[2];
        }
    }

    /** @return CPU nanoseconds of this whole JVM so far, every thread included */
    static long jvmNanos() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** @return CPU nanoseconds of the current thread */
    static long currentThreadNanos() {
        return THREADS.getCurrentThreadCpuTime();
    }
}
