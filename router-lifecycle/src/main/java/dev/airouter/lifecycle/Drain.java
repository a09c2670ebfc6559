package dev.airouter.lifecycle;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * How a {@link ProcessPool} learns that a retiring replica has no work in flight any more, so that
 * its process can be stopped. In-flight counting is the caller's business (the caller sends the
 * work); the pool waits for the stage, bounded by {@link PoolConfig#drainTimeout()}, then stops the
 * replica anyway.
 */
@FunctionalInterface
public interface Drain {
    /**
     * Called once a replica is announced as retiring (it gets no new work from then on).
     *
     * @param retiring the replica, retiring
     * @return a stage that completes when nothing is in flight on it any more
     */
    CompletionStage<?> drained(Replica retiring);

    /** @return a drain that does not wait: for callers with nothing in flight, or none to count */
    static Drain immediately() {
        return replica -> CompletableFuture.completedFuture(null);
    }
}
