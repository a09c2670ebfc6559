package dev.airouter.backend;

import dev.airouter.lifecycle.ProcessStatus;
import dev.airouter.session.SessionStats;
import dev.airouter.session.SessionStore;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * {@code GET /health} (compact, for status dots and load balancers: 200 when the backend can serve
 * chat — the store answers and at least one router is ready —, 503 otherwise) and {@code GET /api/status} (the same in detail, plus JVM figures — heap,
 * open file descriptors, live threads, CPU time — for leak checks).
 *
 * <p>Both carry the backend's {@code instanceId} at the top level, so that an answer says which of
 * several backends (behind one load balancer, on one store) gave it.
 *
 * <p>{@code /health} is polled (the chat page's status dot, load balancers), so it checks the store
 * with {@code ping()} and reports a session count at most {@value #SESSION_COUNT_MAX_AGE_MILLIS} ms
 * old: counting Redis sessions walks the key space with {@code SCAN}. {@code /api/status} counts afresh.
 */
final class StatusEndpoints {
    static final long SESSION_COUNT_MAX_AGE_MILLIS = 5_000;

    private final String instanceId;
    private final RouterHandle router;
    private final SessionStore store;
    private final Supplier<URI> backendUrl;
    private final long startedNanos = System.nanoTime();
    private final IntSupplier inFlight;
    private final int maxInFlight;
    private final int maxMessageCodePoints;
    private volatile Count lastCount; // null until first counted

    /** A session count and when it was taken. */
    private record Count(long sessions, long atNanos) {}

    StatusEndpoints(String instanceId, RouterHandle router, SessionStore store, Supplier<URI> backendUrl,
            IntSupplier inFlight, int maxInFlight, int maxMessageCodePoints) {
        this.instanceId = instanceId;
        this.router = router;
        this.store = store;
        this.backendUrl = backendUrl;
        this.inFlight = inFlight;
        this.maxInFlight = maxInFlight;
        this.maxMessageCodePoints = maxMessageCodePoints;
    }

    Reply health(Call call) {
        RouterStatus routers = router.status();
        boolean storeUp = pingStore();
        Map<String, Object> routerPart = routerSummary(routers);
        List<Map<String, Object>> replicas = new ArrayList<>();
        for (RouterStatus.ReplicaStatus r : routers.replicas()) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("index", r.index());
            out.put("generation", r.generation());
            out.put("url", r.url().toString());
            out.put("pid", r.process().pid().isPresent() ? r.process().pid().getAsLong() : null);
            out.put("state", r.state().name());
            out.put("ready", r.ready());
            out.put("inFlight", r.inFlight());
            out.put("restarts", r.process().restarts());
            replicas.add(out);
        }
        routerPart.put("replicas", replicas);
        Map<String, Object> storePart = new LinkedHashMap<>();
        storePart.put("backend", store.backend());
        storePart.put("sessions", storeUp ? recentSessionCount() : null);
        storePart.put("reachable", storeUp);
        boolean ok = routers.isHealthy() && storeUp;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", ok ? "ok" : "degraded");
        body.put("instanceId", instanceId);
        body.put("router", routerPart);
        body.put("store", storePart);
        body.put("uptimeS", uptimeSeconds());
        return Reply.of(ok ? 200 : 503, body);
    }

    /** The summary every client of {@code /health} knew before there were several routers, kept as it was. */
    private static Map<String, Object> routerSummary(RouterStatus routers) {
        Map<String, Object> part = new LinkedHashMap<>();
        part.put("state", routers.state().name());
        part.put("healthy", routers.isHealthy());
        part.put("pid", routers.pid().isPresent() ? routers.pid().getAsLong() : null);
        part.put("owned", routers.owned());
        part.put("restarts", routers.restarts());
        part.put("url", routers.url().toString());
        return part;
    }

    Reply status(Call call) {
        RouterStatus routers = router.status();
        SessionStats stats = statsOrNull();
        Map<String, Object> routerPart = routerSummary(routers);
        routerPart.put("logFile", routers.replicas().isEmpty() ? null
                : routers.replicas().get(0).process().logFile().toString());
        RouterInfo info = router.info();
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("maxHistoryMessages", info.limits().maxHistoryMessages());
        limits.put("maxQueryCodePoints", info.limits().maxQueryCodePoints());
        limits.put("maxBodyBytes", info.limits().maxBodyBytes());
        limits.put("advertised", info.advertised());
        routerPart.put("limits", limits);
        routerPart.put("agents", info.agents().map(List::copyOf).orElse(null));
        List<Map<String, Object>> replicas = new ArrayList<>();
        for (RouterStatus.ReplicaStatus r : routers.replicas()) {
            ProcessStatus status = r.process();
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("index", r.index());
            out.put("generation", r.generation());
            out.put("url", r.url().toString());
            out.put("name", status.name());
            out.put("state", status.state().name());
            out.put("ready", r.ready());
            out.put("inFlight", r.inFlight());
            out.put("pid", status.pid().isPresent() ? status.pid().getAsLong() : null);
            out.put("owned", status.owned());
            out.put("startedAt", status.startedAt().map(ChatEndpoints::iso).orElse(null));
            out.put("uptimeS", status.uptime().map(d -> d.toMillis() / 1000.0).orElse(null));
            out.put("restarts", status.restarts());
            out.put("lastExitCode", status.lastExitCode().isPresent() ? status.lastExitCode().getAsInt() : null);
            out.put("nextRestartAt", status.nextRestartAt().map(ChatEndpoints::iso).orElse(null));
            out.put("healthUrl", status.healthUrl().map(URI::toString).orElse(null));
            out.put("logFile", status.logFile().toString());
            replicas.add(out);
        }
        routerPart.put("replicas", replicas);
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
        backend.put("maxMessageCodePoints", info.maxMessageCodePoints(maxMessageCodePoints));
        backend.put("jvm", jvm());
        boolean ok = routers.isHealthy() && stats != null;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", ok ? "ok" : "degraded");
        body.put("instanceId", instanceId);
        body.put("backend", backend);
        body.put("router", routerPart);
        body.put("store", storePart);
        return Reply.of(ok ? 200 : 503, body);
    }

    private SessionStats statsOrNull() {
        try {
            SessionStats stats = store.stats();
            lastCount = new Count(stats.sessions(), System.nanoTime());
            return stats;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private boolean pingStore() {
        try {
            return store.ping();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The session count, recounted when the last count is older than the maximum age; null if that fails. */
    private Long recentSessionCount() {
        Count count = lastCount;
        if (count == null || System.nanoTime() - count.atNanos() > SESSION_COUNT_MAX_AGE_MILLIS * 1_000_000) {
            SessionStats stats = statsOrNull();
            return stats == null ? null : stats.sessions();
        }
        return count.sessions();
    }

    private double uptimeSeconds() {
        return Math.round((System.nanoTime() - startedNanos) / 1_000_000.0) / 1000.0;
    }

    static Map<String, Object> jvm() {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        Map<String, Object> jvm = new LinkedHashMap<>();
        jvm.put("heapUsedBytes", heap.getUsed());
        jvm.put("heapAfterLastGcBytes", heapAfterLastGc());
        jvm.put("heapMaxBytes", heap.getMax());
        jvm.put("liveThreads", ManagementFactory.getThreadMXBean().getThreadCount());
        jvm.put("openFileDescriptors", openFileDescriptors());
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        jvm.put("processCpuMs", os instanceof com.sun.management.OperatingSystemMXBean
                ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() / 1_000_000 : null);
        return jvm;
    }

    /**
     * Heap in use right after the most recent collection of each heap pool (the live data, which is
     * what a leak grows; {@code heapUsedBytes} also counts garbage not yet collected), or null when
     * no pool reports it.
     */
    static Long heapAfterLastGc() {
        long total = 0;
        boolean any = false;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage after = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null; // null: not tracked
            if (after != null) {
                total += after.getUsed();
                any = true;
            }
        }
        return any ? total : null;
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
