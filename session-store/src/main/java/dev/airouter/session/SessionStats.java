package dev.airouter.session;

/**
 * A snapshot of a store's counters, for status pages and metrics.
 *
 * <p>{@code hits}, {@code misses} and {@code appends} count this store instance's calls since it was
 * opened. {@code sessions} is exact for the in-memory store; for Redis it counts the session keys
 * under the key prefix with {@code SCAN}, which is approximate while sessions change and costs a walk
 * over the database's keys. {@code expirations} and {@code evictions} are only tracked in memory;
 * Redis expires keys on its own and reports 0 here.
 *
 * @param backend {@code "redis"} or {@code "memory"}
 * @param sessions live sessions
 * @param hits loads that found a session
 * @param misses loads that found none
 * @param appends successful {@link SessionStore#append} calls
 * @param expirations sessions removed because their TTL ran out (memory only)
 * @param evictions sessions removed to stay under the maximum session count (memory only)
 */
public record SessionStats(String backend, long sessions, long hits, long misses, long appends,
        long expirations, long evictions) {}
