package dev.airouter.backend;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airouter.lifecycle.Drain;
import dev.airouter.lifecycle.HealthAnswerListener;
import dev.airouter.lifecycle.PoolConfig;
import dev.airouter.lifecycle.ProcessPool;
import dev.airouter.lifecycle.Replica;
import dev.airouter.lifecycle.ReplicaEvent;
import dev.airouter.lifecycle.ReplicaListener;
import dev.airouter.lifecycle.Rollout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * The routers the backend spawns: a {@link ProcessPool} of replicas on ports of their own, each
 * supervised on its own (a crash restarts that one; the others keep serving). Calls go to the
 * ready replicas by least outstanding requests ({@link Dispatcher}); a replica that is restarting,
 * retiring or gave up gets none.
 *
 * <p>The replica set is read from the pool (its snapshots) whenever the pool reports an event,
 * and at once when a replica retires (the drain hook), so a retiring replica gets no new call from
 * the moment the pool retires it. Each replica keeps its {@link Slot} (its in-flight count and its
 * limits) for as long as it lives, keyed by its port; a restart keeps the port, and so the slot.
 */
final class PooledRouter implements RouterHandle {
    private final ProcessPool pool;
    private final RouterLimits assumed;
    private final ObjectMapper mapper;
    private final String name;
    private final Runnable onChange;
    private final Dispatcher dispatcher = new Dispatcher();
    private final Map<Integer, RouterInfo.Tracker> trackers = new ConcurrentHashMap<>();
    private final Map<Integer, Slot> slots = new ConcurrentHashMap<>();
    private final Map<Integer, CompletableFuture<Void>> idle = new ConcurrentHashMap<>();
    private final List<ReplicaListener> listeners = new CopyOnWriteArrayList<>();

    /**
     * @param config makes the pool's configuration, given the listener its health check must have
     *     (it reads every replica's limits from their health answers)
     * @param onChange run after the replica set changed (quick; on the pool's event thread)
     */
    PooledRouter(Function<HealthAnswerListener, PoolConfig> config, String name, RouterLimits assumed,
            ObjectMapper mapper, Runnable onChange) {
        this.assumed = assumed;
        this.mapper = mapper;
        this.name = name;
        this.onChange = onChange;
        this.pool = ProcessPool.create(config.apply((url, body) -> tracker(url.getPort()).update(body)));
        pool.addListener(this::onEvent);
    }

    private RouterInfo.Tracker tracker(int port) {
        return trackers.computeIfAbsent(port, p -> new RouterInfo.Tracker(name + " on port " + p, assumed, mapper));
    }

    @Override
    public void start() throws InterruptedException {
        pool.start();
        refresh();
    }

    private void onEvent(ReplicaEvent event) {
        refresh();
        onChange.run();
        for (ReplicaListener l : listeners) {
            l.onEvent(event); // the pool logs and ignores a listener that throws
        }
    }

    /** Rebuilds the slots and the ready set from the pool's snapshots. */
    private synchronized void refresh() {
        List<Replica> replicas = pool.replicas();
        List<Slot> ready = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        for (Replica r : replicas) {
            ports.add(r.port());
            Slot slot = slots.computeIfAbsent(r.port(), p -> new Slot(r.index(), r.generation(), r.url(), tracker(p),
                    () -> idleNow(p)));
            if (r.isReady()) {
                ready.add(slot);
            }
        }
        slots.keySet().retainAll(ports);
        trackers.keySet().retainAll(ports);
        dispatcher.ready(ready);
    }

    private void idleNow(int port) {
        CompletableFuture<Void> waiting = idle.remove(port);
        if (waiting != null) {
            waiting.complete(null);
        }
    }

    /**
     * The drain of a retiring replica: it leaves the ready set at once, and the stage completes when
     * its last call in flight has ended.
     */
    Drain drain() {
        return replica -> {
            refresh();
            Slot slot = slots.get(replica.port());
            if (slot == null) {
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> done = idle.computeIfAbsent(replica.port(), p -> new CompletableFuture<>());
            if (slot.inFlight() == 0) {
                idleNow(replica.port());
            }
            return done;
        };
    }

    @Override
    public ReloadResult reload() throws InterruptedException {
        ProcessPool.ReplaceResult result = pool.replace(Rollout.blueGreen(), drain());
        refresh();
        return new ReloadResult(result.from(), result.to(), result.took(),
                result.replicas().stream().filter(Replica::isReady).map(Replica::url).toList());
    }

    @Override
    public RouterStatus status() {
        List<RouterStatus.ReplicaStatus> out = new ArrayList<>();
        for (Replica r : pool.replicas()) {
            Slot slot = slots.get(r.port());
            out.add(new RouterStatus.ReplicaStatus(r.index(), r.generation(), r.url(), r.status(), r.isReady(),
                    slot == null ? 0 : slot.inFlight()));
        }
        return RouterStatus.of(true, pool.generation(), out);
    }

    @Override
    public RouterInfo info() {
        List<RouterInfo> infos = new ArrayList<>();
        for (Slot s : dispatcher.ready()) {
            infos.add(s.info.current());
        }
        return RouterInfo.strictest(infos, RouterInfo.assumed(assumed));
    }

    @Override
    public Slot acquire(Slot exclude) {
        Slot slot = dispatcher.pick(exclude);
        if (slot == null) {
            throw ApiError.unavailable("router unavailable", describeDown(exclude));
        }
        slot.begin();
        return slot;
    }

    private String describeDown(Slot exclude) {
        RouterStatus status = status();
        StringBuilder sb = new StringBuilder(exclude != null ? "the router failed and no other router is ready ("
                : "no router is ready (");
        for (RouterStatus.ReplicaStatus r : status.replicas()) {
            sb.append('#').append(r.index()).append(' ').append(r.state()).append(", ");
        }
        if (!status.replicas().isEmpty()) {
            sb.setLength(sb.length() - 2);
        }
        sb.append(status.isFailed() ? "); every router gave up: see " + status.replicas().get(0).process().logFile()
                : "); retry in a moment");
        return sb.toString();
    }

    @Override
    public void release(Slot slot, boolean reached) {
        slot.end();
    }

    @Override
    public RouterInfo refreshInfo(Slot slot) {
        return slot != null ? slot.info.current() : info(); // re-read at every restart; cannot change otherwise
    }

    @Override
    public void addListener(ReplicaListener listener) {
        listeners.add(listener);
    }

    @Override
    public void close() {
        pool.close();
    }
}
