package dev.airouter.lifecycle;

import java.util.Set;

/**
 * What a {@link ProcessPool} tells its meters: {@link PoolMeters} when the configuration has a
 * registry, else {@link #NONE}. Free of Micrometer types, so a pool without a registry never loads a
 * Micrometer class (Micrometer is an optional dependency).
 */
interface PoolMetrics {
    /** No meters. */
    PoolMetrics NONE = new PoolMetrics() {};

    /**
     * The indexes that have replicas now (after an operation): their meters exist, others' are removed.
     * Not under the pool's lock.
     */
    default void track(Set<Integer> indexes) {}

    /** A replica's process changed state; on the pool's event thread. */
    default void processEvent(int index, ProcessEvent event) {}

    /** The pool is closed: every meter is removed, and none is added again. Not under the pool's lock. */
    default void close() {}
}
