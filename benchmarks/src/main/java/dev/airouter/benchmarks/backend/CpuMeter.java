package dev.airouter.benchmarks.backend;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of the in-process backend and of the router process.
 *
 * <p>Backend: the sum of {@link ThreadMXBean#getThreadCpuTime} over the threads the backend owns
 * (names starting {@code airouter-backend} — Undertow's IO threads and the worker pool, which also
 * runs the OkHttp calls and the store calls — plus OkHttp's and Lettuce's own threads), so the load
 * generator's threads in the same JVM are excluded. JVM-wide work (JIT, GC) is not attributed.
 * Router: {@code utime + stime} of {@code /proc/<pid>/stat} (10 ms ticks; fine over thousands of
 * requests).
 */
final class CpuMeter {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private CpuMeter() {}

    /** @return CPU nanoseconds used so far by the backend's threads that are alive now */
    static long backendNanos() {
        long total = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            String name = t.getName();
            if (name.startsWith("airouter-backend") || name.startsWith("OkHttp") || name.startsWith("lettuce")) {
                long cpu = THREADS.getThreadCpuTime(t.getId());
                if (cpu > 0) {
                    total += cpu;
                }
            }
        }
        return total;
    }

    /** @return CPU nanoseconds used so far by process {@code pid} (user + system) */
    static long processNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
            return ticks * 10_000_000L; // USER_HZ = 100
        } catch (IOException | RuntimeException e) {
            return -1;
        }
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
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
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

    /** @return CPU nanoseconds of the current thread */
    static long currentThreadNanos() {
        return THREADS.getCurrentThreadCpuTime();
    }
}
