package dev.airouter.lifecycle;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Micrometer meters of one {@link ProcessPool} (the table is in
 * {@link PoolConfig.Builder#meterRegistry}). The only class that touches Micrometer; made only when a
 * registry was given.
 *
 * <p>Gauges read the pool when the registry is scraped ({@link ProcessPool#reported(int)}, its ready
 * count). What the pool does not keep — the restarts at an index over the pool's life, the duration
 * of its latest start — is kept here per index, for the pool's life: a new generation, or an index
 * that comes back after a resize, continues its count. These two are fed by the replicas' process
 * events, so they trail the pool by the events' delivery (milliseconds): right after
 * {@link ProcessPool#start()} returns, the startup duration may still be NaN for a moment.
 *
 * <p>Concurrency: {@code meters} and {@code closed} are guarded by this object's monitor, taken by
 * {@link #track} and {@link #close}, which the pool calls without holding its own lock (a scrape may
 * hold the registry's lock while a gauge takes the pool's; so registering never waits with the
 * pool's lock held). The figures per index are atomics and volatiles, written on the pool's event
 * thread, read on the scraping thread.
 */
final class PoolMeters implements PoolMetrics {
    static final String STATE = "airouter.pool.replica.state";
    static final String RESTARTS = "airouter.pool.replica.restarts";
    static final String STARTUP = "airouter.pool.replica.startup.duration";
    static final String GENERATION = "airouter.pool.replica.generation";
    static final String READY = "airouter.pool.replicas.ready";

    private final ProcessPool pool;
    private final MeterRegistry registry;
    private final String name;
    private final Map<Integer, Figures> figures = new ConcurrentHashMap<>();
    // guarded by this
    private final Map<Integer, List<Meter>> meters = new HashMap<>();
    private Meter ready;
    private boolean closed;

    /** What an index has seen over the pool's life. */
    static final class Figures {
        final AtomicLong restarts = new AtomicLong();
        volatile double startupSeconds = Double.NaN;
    }

    private PoolMeters(ProcessPool pool, MeterRegistry registry, String name) {
        this.pool = pool;
        this.registry = registry;
        this.name = name;
    }

    /**
     * Registers the pool's own meter; the meters of an index follow with {@link #track}.
     *
     * @throws IllegalArgumentException if the registry has the meters of another pool of this name
     */
    static PoolMeters register(ProcessPool pool, MeterRegistry registry, String name) {
        if (registry.find(READY).tag("pool", name).meter() != null) {
            throw new IllegalArgumentException("the meter registry already has the meters of a pool named '" + name
                    + "' (" + READY + "{pool=" + name + "}); close that pool first, or give this pool's template"
                    + " another name");
        }
        PoolMeters meters = new PoolMeters(pool, registry, name);
        synchronized (meters) {
            meters.ready = Gauge.builder(READY, pool, PoolMeters::readyCount)
                    .description("Replicas of the pool that are ready: announced, running and not retiring")
                    .tag("pool", name).register(registry);
        }
        return meters;
    }

    private static double readyCount(ProcessPool pool) {
        return pool.replicas().stream().filter(Replica::isReady).count();
    }

    @Override
    public synchronized void track(Set<Integer> indexes) {
        if (closed) {
            return;
        }
        for (int index : indexes) {
            meters.computeIfAbsent(index, this::registerIndex);
        }
        for (Iterator<Map.Entry<Integer, List<Meter>>> it = meters.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, List<Meter>> entry = it.next();
            if (!indexes.contains(entry.getKey())) {
                entry.getValue().forEach(registry::remove);
                it.remove();
            }
        }
    }

    @Override
    public void processEvent(int index, ProcessEvent event) {
        Figures f = figures(index);
        if (event.state() == ProcessState.RESTARTING) {
            f.restarts.incrementAndGet();
        } else if (event.state() == ProcessState.RUNNING) {
            event.status().startedAt().ifPresent(spawned ->
                    f.startupSeconds = Duration.between(spawned, event.time()).toNanos() / 1e9);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        meters.values().forEach(list -> list.forEach(registry::remove));
        meters.clear();
        registry.remove(ready);
    }

    private Figures figures(int index) {
        return figures.computeIfAbsent(index, i -> new Figures());
    }

    /** Called with this object's monitor held. */
    private List<Meter> registerIndex(int index) {
        Figures f = figures(index);
        Tags tags = Tags.of("pool", name, "replica", Integer.toString(index));
        List<Meter> list = new ArrayList<>();
        for (ProcessState state : ProcessState.values()) {
            list.add(Gauge.builder(STATE, this, m -> m.isIn(index, state))
                    .description("State of the replica at this index (the successor's during a replace): 1 for"
                            + " the state it is in, 0 for the others")
                    .tags(tags).tag("state", state.name().toLowerCase(Locale.ROOT)).register(registry));
        }
        list.add(FunctionCounter.builder(RESTARTS, f, x -> x.restarts.get())
                .description("Supervised restarts of the replicas at this index over the pool's life")
                .tags(tags).register(registry));
        list.add(TimeGauge.builder(STARTUP, f, TimeUnit.SECONDS, x -> x.startupSeconds)
                .description("How long the latest start at this index took from spawn to ready (NaN before the"
                        + " first)")
                .tags(tags).register(registry));
        list.add(Gauge.builder(GENERATION, this, m -> m.generation(index))
                .description("Generation of the replica at this index (the successor's during a replace; NaN"
                        + " while there is none)")
                .tags(tags).register(registry));
        return list;
    }

    private double isIn(int index, ProcessState state) {
        Optional<Replica> replica = pool.reported(index);
        ProcessState current = replica.map(Replica::state).orElse(ProcessState.STOPPED);
        return current == state ? 1 : 0;
    }

    private double generation(int index) {
        return pool.reported(index).map(r -> (double) r.generation()).orElse(Double.NaN);
    }
}
