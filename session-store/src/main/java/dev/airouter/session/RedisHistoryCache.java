package dev.airouter.session;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The Redis store's client-side cache of conversations, kept true by Redis itself: the store's
 * connection has {@code CLIENT TRACKING ON NOLOOP} (RESP3), so when anyone else writes a session's
 * messages key after this store read it — another backend instance, another store on the same
 * Redis, an expiry — Redis pushes an {@code invalidate} message and the entry is dropped. A chat
 * turn then costs one round trip (the append) instead of two.
 *
 * <p>What makes a stale entry harmless is not this class but the conditional append
 * ({@link SessionStore#appendAfter}): an invalidation can still be on its way when a turn reads the
 * cache, and the append then finds a newer message than the one the turn read and refuses.
 *
 * <p>Races this class closes itself: an entry is only stored if no invalidation for its session (a
 * stripe of sessions) and no loss of tracking came between the read it was made from and the put;
 * every disconnect drops everything and disables the cache until tracking is on again on the new
 * connection. Thread-safe.
 */
final class RedisHistoryCache {
    /**
     * The cache's size bound, in estimated bytes of heap (a message: its text, twice its length in
     * the worst case, plus about 400 bytes of id, role, timestamp and metadata): a few hundred busy
     * conversations of 20 short messages fit, and the heap a backend needs stays flat under any load.
     */
    static final long MAX_WEIGHT = 8L << 20;
    /** Histories longer than this are not read whole to be cached (a load reads only its tail). */
    static final int MAX_CACHED_HISTORY = 200;
    private static final int STRIPES = 1024;

    /** A session's messages, all of them ({@code complete}) or its newest ones, as of one read or own append. */
    record Entry(Instant created, Instant updated, List<ChatMessage> messages, boolean complete) {}

    /** When a read started: what must be unchanged for its result to be cached. */
    record Stamp(long epoch, long stripe) {}

    private final String prefix;
    private final int historyLimit;
    private final Cache<String, Entry> entries = Caffeine.newBuilder()
            .maximumWeight(MAX_WEIGHT)
            .weigher((String id, Entry e) -> weight(e))
            .executor(Runnable::run)
            .build();
    private final AtomicLongArray stripes = new AtomicLongArray(STRIPES);
    private final AtomicLong epoch = new AtomicLong();
    private volatile boolean tracking;

    RedisHistoryCache(String keyPrefix, int historyLimit) {
        this.prefix = keyPrefix;
        this.historyLimit = historyLimit;
    }

    /** @return whether Redis is tracking this store's reads now */
    boolean active() {
        return tracking;
    }

    /** Take before a read whose result may be cached; {@code null} while tracking is off. */
    Stamp stamp(String id) {
        if (!tracking) {
            return null;
        }
        return new Stamp(epoch.get(), stripes.get(stripe(id)));
    }

    /** @return the newest {@code lastN} messages of a cached session, or {@code null} when not cached */
    Session get(String id, int lastN) {
        if (!tracking) {
            return null;
        }
        Entry e = entries.getIfPresent(id);
        if (e == null || (!e.complete() && lastN > e.messages().size())) {
            return null;
        }
        List<ChatMessage> m = e.messages();
        return new Session(id, e.created(), e.updated(), lastN >= m.size() ? m : m.subList(m.size() - lastN, m.size()));
    }

    /** Caches what a read returned, unless it may be stale already. */
    void put(String id, Stamp stamp, Entry entry) {
        if (unchangedSince(id, stamp)) {
            entries.put(id, entry);
            if (!unchangedSince(id, stamp)) { // an invalidation landed during the put
                entries.invalidate(id);
            }
        }
    }

    /**
     * After this store appended {@code appended} on the condition that the newest message was
     * {@code expectedLastId}: the cached entry, if it was exactly that state, becomes the new state.
     */
    void appended(String id, Stamp stamp, String expectedLastId, List<ChatMessage> appended, Instant now) {
        Entry e = entries.getIfPresent(id);
        if (e == null || !Objects.equals(lastId(e.messages()), expectedLastId)) {
            entries.invalidate(id);
            return;
        }
        List<ChatMessage> all = new ArrayList<>(e.messages());
        Set<String> ids = new HashSet<>();
        all.forEach(m -> ids.add(m.id()));
        for (ChatMessage m : appended) {
            if (ids.add(m.id())) {
                all.add(m);
            }
        }
        // the store trimmed the session to historyLimit: a tail that long is all of it
        boolean complete = e.complete() || all.size() >= historyLimit;
        List<ChatMessage> kept = all.size() > historyLimit ? all.subList(all.size() - historyLimit, all.size()) : all;
        put(id, stamp, new Entry(e.created(), now, List.copyOf(kept), complete));
    }

    void invalidate(String id) {
        stripes.incrementAndGet(stripe(id));
        entries.invalidate(id);
    }

    /** An {@code invalidate} push: {@code keys} null means everything (FLUSHALL, FLUSHDB). */
    void invalidated(List<String> keys) {
        if (keys == null) {
            epoch.incrementAndGet();
            entries.invalidateAll();
            return;
        }
        for (String key : keys) {
            String id = sessionId(key);
            if (id != null) {
                invalidate(id);
            }
        }
    }

    /** The connection dropped: nothing read before can be trusted, nothing read now is tracked. */
    void trackingLost() {
        tracking = false;
        epoch.incrementAndGet();
        entries.invalidateAll();
    }

    /** Tracking is on, on the current connection. */
    void trackingOn() {
        epoch.incrementAndGet();
        entries.invalidateAll();
        tracking = true;
    }

    private static int weight(Entry e) {
        long bytes = 200;
        for (ChatMessage m : e.messages()) {
            bytes += 400 + 2L * m.content().length();
        }
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    static String lastId(List<ChatMessage> messages) {
        return messages.isEmpty() ? null : messages.get(messages.size() - 1).id();
    }

    /** The session id in one of its keys ({@code <prefix>{<id>}…}), or {@code null} for another key. */
    String sessionId(String key) {
        if (key == null || !key.startsWith(prefix) || key.length() <= prefix.length() + 1
                || key.charAt(prefix.length()) != '{') {
            return null;
        }
        int end = key.indexOf('}', prefix.length() + 1);
        return end < 0 ? null : key.substring(prefix.length() + 1, end);
    }

    private boolean unchangedSince(String id, Stamp stamp) {
        return stamp != null && tracking && epoch.get() == stamp.epoch() && stripes.get(stripe(id)) == stamp.stripe();
    }

    private static int stripe(String id) {
        return Math.floorMod(id.hashCode(), STRIPES);
    }
}
