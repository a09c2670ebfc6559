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

    /** @return CPU nanoseconds of the current thread */
    static long currentThreadNanos() {
        return THREADS.getCurrentThreadCpuTime();
    }
}
