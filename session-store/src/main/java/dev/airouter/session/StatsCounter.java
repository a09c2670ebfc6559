package dev.airouter.session;

import java.util.concurrent.atomic.LongAdder;

/** Per-store call counters behind {@link SessionStats}; lock-free and thread-safe. */
final class StatsCounter {
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder appends = new LongAdder();
    private final LongAdder expirations = new LongAdder();
    private final LongAdder evictions = new LongAdder();

    void recordLoad(boolean found) {
        (found ? hits : misses).increment();
    }

    void recordAppend() {
        appends.increment();
    }

    void recordExpiration() {
        expirations.increment();
    }

    void recordEviction() {
        evictions.increment();
    }

    long expirations() {
        return expirations.sum();
    }

    SessionStats snapshot(String backend, long sessions) {
        return new SessionStats(backend, sessions, hits.sum(), misses.sum(), appends.sum(), expirations.sum(),
                evictions.sum());
    }
}
