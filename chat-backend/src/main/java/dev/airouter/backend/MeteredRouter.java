package dev.airouter.backend;

import dev.airouter.lifecycle.ReplicaListener;
import java.util.Optional;

/**
 * A router handle that counts the {@code /route} calls in flight per replica index
 * ({@code airouter.router.requests.active}); everything else is the wrapped handle's. Used only
 * when metrics are on.
 */
final class MeteredRouter implements RouterHandle {
    private final RouterHandle router;
    private final Metrics metrics;

    MeteredRouter(RouterHandle router, Metrics metrics) {
        this.router = router;
        this.metrics = metrics;
    }

    /** @return the wrapped handle (for what only a concrete router knows) */
    RouterHandle unwrap() {
        return router;
    }

    @Override
    public void start() throws InterruptedException {
        router.start();
    }

    @Override
    public RouterStatus status() {
        return router.status();
    }

    @Override
    public RouterInfo info() {
        return router.info();
    }

    @Override
    public Slot acquire(Slot exclude) {
        Slot slot = router.acquire(exclude);
        metrics.routerAcquired(slot.index);
        return slot;
    }

    @Override
    public void release(Slot slot, boolean reached) {
        try {
            router.release(slot, reached);
        } finally {
            metrics.routerReleased(slot.index);
        }
    }

    @Override
    public RouterInfo refreshInfo(Slot slot) {
        return router.refreshInfo(slot);
    }

    @Override
    public ReloadResult reload() throws InterruptedException {
        return router.reload();
    }

    @Override
    public Optional<String> reloadRefusal() {
        return router.reloadRefusal();
    }

    @Override
    public void addListener(ReplicaListener listener) {
        router.addListener(listener);
    }

    @Override
    public void close() {
        router.close();
    }
}
