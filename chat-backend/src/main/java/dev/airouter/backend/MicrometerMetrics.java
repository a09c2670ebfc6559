package dev.airouter.backend;

import dev.airouter.session.SessionStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The backend's meters on a Micrometer registry. HTTP server meters use OpenTelemetry's semantic
 * names and attributes ({@code http.server.request.duration} with {@code http.request.method},
 * {@code http.route}, {@code http.response.status_code}; {@code http.server.active_requests}), so
 * dashboards made for other servers work; the rest are {@code airouter.*}. Every tag has a bounded set
 * of values: methods outside the known set are {@code _OTHER}, a request that matched no route is
 * {@code unmatched} (never the raw path), replicas are indexes (never pids, ports or generations),
 * and statuses, outcomes, operations and reasons are the backend's own. Meters are made on first use
 * and then cached, so recording is a map lookup; durations, the history length and turns are then
 * held per thread and applied in batches ({@link MeterBuffer}; {@link #flush()} applies them all, and
 * the scrape does first). The gauges of requests in flight are updated at once.
 *
 * <p>{@link #close()} removes every meter this object registered (and ends the JVM binders' listeners),
 * so a registry an embedder passed in is left as it was.
 */
final class MicrometerMetrics implements Metrics, AutoCloseable {
    /** The value of {@code http.route} for a request that matched no route. */
    static final String UNMATCHED = "unmatched";
    /** Micrometer meters the backend's own registry does not publish (see {@link #ownRegistry()}). */
    private static final Set<String> LEFT_OUT = Set.of("process.cpu.time", "process.cpu.usage", "system.cpu.usage");
    private static final Set<String> KNOWN_METHODS =
            Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");
    /** OpenTelemetry's recommended buckets for {@code http.server.request.duration}, in seconds. */
    private static final Duration[] HTTP_BUCKETS = millis(5, 10, 25, 50, 75, 100, 250, 500, 750, 1_000, 2_500, 5_000,
            7_500, 10_000, 30_000, 60_000);
    private static final Duration[] ROUTER_BUCKETS = millis(5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000,
            30_000, 60_000);
    private static final Duration[] STORE_BUCKETS = millis(1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000);
    private static final double[] HISTORY_BUCKETS = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 10_000};

    /** Meters by two keys, looked up without allocating: a map of maps. */
    private static final class Table<K1, K2, M> {
        private final Map<K1, Map<K2, M>> rows = new ConcurrentHashMap<>();

        /** @return the meter, or {@code null} when it is not made yet (the path every request takes) */
        M find(K1 first, K2 second) {
            Map<K2, M> row = rows.get(first);
            return row == null ? null : row.get(second);
        }

        /** @return the meter, made now if it is the first time (a lambda only on this path) */
        M get(K1 first, K2 second, java.util.function.BiFunction<K1, K2, M> make) {
            Map<K2, M> row = rows.get(first);
            if (row == null) {
                row = rows.computeIfAbsent(first, k -> new ConcurrentHashMap<>());
            }
            M meter = row.get(second);
            return meter != null ? meter : row.computeIfAbsent(second, k -> make.apply(first, k));
        }
    }

    private final MeterRegistry registry;
    private final List<Meter> meters = new CopyOnWriteArrayList<>();
    private volatile JvmGcMetrics gc; // its GC listener ends with close()
    private final AtomicInteger active = new AtomicInteger();
    private final Map<String, Table<String, Integer, Timer>> http = new ConcurrentHashMap<>(); // by method
    private final Table<Integer, String, Timer> routerCalls = new Table<>();
    private final Map<Integer, AtomicInteger> routerInFlight = new ConcurrentHashMap<>();
    private final Table<String, String, Timer> storeCalls = new Table<>();
    private final Map<ChatStream.End, Counter> interruptions = new ConcurrentHashMap<>();
    private final Counter turns;
    private final Counter streamedTurns;
    private final DistributionSummary history;
    private final MeterBuffer buffer = new MeterBuffer();

    MicrometerMetrics(MeterRegistry registry) {
        this.registry = registry;
        keep(Gauge.builder("http.server.active_requests", active, AtomicInteger::get)
                .description("HTTP requests the backend is handling now (OpenTelemetry http.server.active_requests)")
                .baseUnit("requests").register(registry));
        this.turns = keep(Counter.builder("airouter.chat.turns").tag("streamed", "false")
                .description("Chat turns answered and stored, by whether the reply was streamed").register(registry));
        this.streamedTurns = keep(Counter.builder("airouter.chat.turns").tag("streamed", "true")
                .description("Chat turns answered and stored, by whether the reply was streamed").register(registry));
        this.history = keep(DistributionSummary.builder("airouter.chat.history.length")
                .description("Earlier messages sent to the router with a chat turn")
                .baseUnit("messages").serviceLevelObjectives(HISTORY_BUCKETS).register(registry));
    }

    private static Duration[] millis(long... values) {
        Duration[] out = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Duration.ofMillis(values[i]);
        }
        return out;
    }

    private <M extends Meter> M keep(M meter) {
        meters.add(meter);
        return meter;
    }

    MeterRegistry registry() {
        return registry;
    }

    /**
     * A Prometheus registry of the backend's own, with the filters its JVM meters need, set before any
     * meter exists (Micrometer applies a filter only to meters registered after it).
     */
    static io.micrometer.prometheusmetrics.PrometheusMeterRegistry ownRegistry() {
        io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry =
                new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                        io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        // two of Micrometer's names fail promtool's lint: process.cpu.time (in ns: "abbreviated units") is
        // replaced by process_cpu_seconds_total, the name Prometheus' own clients use; system.cpu.count (a
        // gauge ending in _count) is published as system_cpus_available. process.cpu.usage and
        // system.cpu.usage are left out: each reads /proc and cgroup files on every scrape (about 0.5 ms of
        // CPU each, a fifth of a warm scrape), and rate(process_cpu_seconds_total[1m]) is the same figure
        // for the process (the host's is node_exporter's)
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public MeterFilterReply accept(Meter.Id id) {
                return LEFT_OUT.contains(id.getName()) ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
            }

            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().equals("system.cpu.count") ? id.withName("system.cpus.available") : id;
            }
        });
        return registry;
    }

    /**
     * Adds Micrometer's standard JVM and process binders: memory, GC, threads, class loading, CPU, file
     * descriptors, uptime. Only on the backend's own registry ({@link #ownRegistry()}), which is closed
     * with the backend, so their meters are not removed one by one.
     */
    void bindJvm() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            keep(FunctionCounter.builder("process.cpu", sun, b -> b.getProcessCpuTime() / 1e9)
                    .description("CPU time the backend's process has used").baseUnit("seconds").register(registry));
        }
        List<MeterBinder> list = List.of(new JvmMemoryMetrics(), new JvmThreadMetrics(), new ClassLoaderMetrics(),
                new ProcessorMetrics(), new FileDescriptorMetrics(), new UptimeMetrics());
        list.forEach(b -> b.bindTo(registry));
        gc = new JvmGcMetrics();
        gc.bindTo(registry);
    }

    /**
     * The store's gauges: whether it fell back to memory, and how often its Redis connections were
     * re-established.
     *
     * @param fallback whether Redis was asked for but the in-memory store is in use
     */
    void bindStore(SessionStore store, boolean fallback) {
        keep(Gauge.builder("airouter.store.fallback", () -> fallback ? 1 : 0)
                .description("1 when Redis was configured but unreachable at start, so sessions are in memory")
                .register(registry));
        keep(FunctionCounter.builder("airouter.store.redis.reconnects", store, SessionStore::reconnects)
                .description("Redis connections re-established since the store opened (0 for memory)")
                .register(registry));
    }

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public void requestStarted() {
        active.incrementAndGet();
    }

    @Override
    public void requestEnded(String method, String route, int status, long nanos) {
        active.decrementAndGet();
        String known = KNOWN_METHODS.contains(method) ? method : "_OTHER";
        Table<String, Integer, Timer> byMethod = http.get(known);
        if (byMethod == null) {
            byMethod = http.computeIfAbsent(known, k -> new Table<>());
        }
        String matched = route == null ? UNMATCHED : route;
        Timer timer = byMethod.find(matched, status);
        buffer.time(timer != null ? timer : byMethod.get(matched, status, (r, code) -> keep(
                Timer.builder("http.server.request.duration")
                        .description("Duration of HTTP requests the backend answered (OpenTelemetry"
                                + " http.server.request.duration)")
                        .tag("http.request.method", known).tag("http.route", r)
                        .tag("http.response.status_code", Integer.toString(code))
                        .serviceLevelObjectives(HTTP_BUCKETS).register(registry))), nanos);
    }

    @Override
    public void routerAcquired(int replica) {
        inFlight(replica).incrementAndGet();
    }

    @Override
    public void routerReleased(int replica) {
        inFlight(replica).decrementAndGet();
    }

    private AtomicInteger inFlight(int replica) {
        AtomicInteger count = routerInFlight.get(replica);
        if (count != null) {
            return count;
        }
        return routerInFlight.computeIfAbsent(replica, r -> {
            AtomicInteger made = new AtomicInteger();
            keep(Gauge.builder("airouter.router.requests.active", made, AtomicInteger::get)
                    .description("Calls to /route in flight on the router at this replica index (a stream counts until it ends)")
                    .tag("replica", Integer.toString(r)).register(registry));
            return made;
        });
    }

    @Override
    public void routerCall(int replica, String outcome, long nanos) {
        Timer timer = routerCalls.find(replica, outcome);
        buffer.time(timer != null ? timer : routerCalls.get(replica, outcome, (r, o) -> keep(
                Timer.builder("airouter.router.request.duration")
                        .description("Duration of /route calls to a router until its answer or its first event,"
                                + " by replica index and outcome (ok, 4xx, 5xx, timeout, retried = unreachable,"
                                + " tried again on another replica)")
                        .tags(Tags.of("replica", Integer.toString(r), "outcome", o))
                        .serviceLevelObjectives(ROUTER_BUCKETS).register(registry))), nanos);
    }

    @Override
    public void storeCall(String operation, String outcome, long nanos) {
        Timer timer = storeCalls.find(operation, outcome);
        buffer.time(timer != null ? timer : storeCalls.get(operation, outcome, (op, o) -> keep(
                Timer.builder("airouter.store.operation.duration")
                        .description("Duration of session store calls, by operation and outcome (ok, unavailable,"
                                + " invalid, error)")
                        .tags(Tags.of("operation", op, "outcome", o))
                        .serviceLevelObjectives(STORE_BUCKETS).register(registry))), nanos);
    }

    @Override
    public void turn(boolean streamed, int historyLength) {
        buffer.count(streamed ? streamedTurns : turns);
        buffer.record(history, historyLength);
    }

    @Override
    public void streamInterrupted(ChatStream.End reason) {
        interruptions.computeIfAbsent(reason, r -> keep(Counter.builder("airouter.chat.stream.interruptions")
                .description("Streamed replies that ended before the router's done, by reason")
                .tag("reason", r.name().toLowerCase(Locale.ROOT)).register(registry)))
                .increment();
    }

    /** Applies the events every thread holds ({@link MeterBuffer}): the registry then counts them all. */
    void flush() {
        buffer.flush();
    }

    @Override
    public void close() {
        buffer.close();
        if (gc != null) {
            gc.close();
        }
        meters.forEach(registry::remove);
        meters.clear();
    }
}
