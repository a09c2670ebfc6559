package dev.airouter.backend;

import dev.airouter.lifecycle.ProcessStatus;
import dev.airouter.session.SessionStats;
import dev.airouter.session.SessionStore;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * {@code GET /health} (compact, for status dots and load balancers: 200 when the backend can serve
 * chat, 503 otherwise) and {@code GET /api/status} (the same in detail, plus JVM figures — heap,
 * open file descriptors, live threads, CPU time — for leak checks).
 */
final class StatusEndpoints {
    private final RouterHandle router;
    private final SessionStore store;
    private final Supplier<URI> backendUrl;
    private final long startedNanos = System.nanoTime();
    private final IntSupplier inFlight;
    private final int maxInFlight;

    StatusEndpoints(RouterHandle router, SessionStore store, Supplier<URI> backendUrl, IntSupplier inFlight, int maxInFlight) {
        this.router = router;
        this.store = store;
        this.backendUrl = backendUrl;
        this.inFlight = inFlight;
        this.maxInFlight = maxInFlight;
    }

    Reply health(Call call) {
        ProcessStatus status = router.status();
        boolean routerUp = routerHealthy(status);
        SessionStats stats = statsOrNull();
        Map<String, Object> routerPart = new LinkedHashMap<>();
        routerPart.put("state", status.state().name());
        routerPart.put("healthy", routerUp);
        routerPart.put("pid", status.pid().isPresent() ? status.pid().getAsLong() : null);
        routerPart.put("owned", status.owned());
        routerPart.put("restarts", status.restarts());
        routerPart.put("url", router.url().toString());
        Map<String, Object> storePart = new LinkedHashMap<>();
        storePart.put("backend", store.backend());
        storePart.put("sessions", stats == null ? null : stats.sessions());
        storePart.put("reachable", stats != null);
        boolean ok = routerUp && stats != null;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", ok ? "ok" : "degraded");
        body.put("router", routerPart);
        body.put("store", storePart);
        body.put("uptimeS", uptimeSeconds());
        return Reply.of(ok ? 200 : 503, body);
    }

    Reply status(Call call) {
        ProcessStatus status = router.status();
        boolean routerUp = routerHealthy(status);
        SessionStats stats = statsOrNull();
        Map<String, Object> routerPart = new LinkedHashMap<>();
        routerPart.put("name", status.name());
        routerPart.put("state", status.state().name());
        routerPart.put("healthy", routerUp);
        routerPart.put("pid", status.pid().isPresent() ? status.pid().getAsLong() : null);
        routerPart.put("owned", status.owned());
        routerPart.put("startedAt", status.startedAt().map(ChatEndpoints::iso).orElse(null));
        routerPart.put("uptimeS", status.uptime().map(d -> d.toMillis() / 1000.0).orElse(null));
        routerPart.put("restarts", status.restarts());
        routerPart.put("lastExitCode", status.lastExitCode().isPresent() ? status.lastExitCode().getAsInt() : null);
        routerPart.put("nextRestartAt", status.nextRestartAt().map(ChatEndpoints::iso).orElse(null));
        routerPart.put("url", router.url().toString());
        routerPart.put("healthUrl", status.healthUrl().map(URI::toString).orElse(null));
        routerPart.put("logFile", status.logFile().toString());
        Map<String, Object> storePart = new LinkedHashMap<>();
        storePart.put("backend", store.backend());
        storePart.put("reachable", stats != null);
        if (stats != null) {
            storePart.put("sessions", stats.sessions());
            storePart.put("hits", stats.hits());
            storePart.put("misses", stats.misses());
            storePart.put("appends", stats.appends());
            storePart.put("expirations", stats.expirations());
            storePart.put("evictions", stats.evictions());
        }
        Map<String, Object> backend = new LinkedHashMap<>();
        backend.put("url", String.valueOf(backendUrl.get()));
        backend.put("uptimeS", uptimeSeconds());
        backend.put("inFlight", inFlight.getAsInt());
        backend.put("maxInFlight", maxInFlight);
        backend.put("jvm", jvm());
        boolean ok = routerUp && stats != null;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", ok ? "ok" : "degraded");
        body.put("backend", backend);
        body.put("router", routerPart);
        body.put("store", storePart);
        return Reply.of(ok ? 200 : 503, body);
    }

    private boolean routerHealthy(ProcessStatus status) {
        return status.isUp() && (!(router instanceof ExternalRouter) || ((ExternalRouter) router).isReachable());
    }

    private SessionStats statsOrNull() {
        try {
            return store.stats();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private double uptimeSeconds() {
        return Math.round((System.nanoTime() - startedNanos) / 1_000_000.0) / 1000.0;
    }

    static Map<String, Object> jvm() {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        Map<String, Object> jvm = new LinkedHashMap<>();
        jvm.put("heapUsedBytes", heap.getUsed());
        jvm.put("heapMaxBytes", heap.getMax());
        jvm.put("liveThreads", ManagementFactory.getThreadMXBean().getThreadCount());
        jvm.put("openFileDescriptors", openFileDescriptors());
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        jvm.put("processCpuMs", os instanceof com.sun.management.OperatingSystemMXBean
                ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() / 1_000_000 : null);
        return jvm;
    }

    /** Entries of {@code /proc/self/fd} (Linux), else the JDK's count where it has one, else null. */
    static Long openFileDescriptors() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException | java.io.UncheckedIOException e) {
            OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
            return os instanceof com.sun.management.UnixOperatingSystemMXBean
                    ? ((com.sun.management.UnixOperatingSystemMXBean) os).getOpenFileDescriptorCount() : null;
        }
    }
}
