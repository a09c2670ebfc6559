package dev.airouter.session;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The in-memory store: a Caffeine cache of immutable {@link Session}s.
 *
 * <p>Design: {@code expireAfterAccess(ttl)} gives the sliding TTL (reads through {@code getIfPresent}
 * and writes through {@code compute} renew it; {@code containsKey} does not). The ticker is derived
 * from the configured clock, so tests move time instead of waiting; the system scheduler removes
 * expired entries promptly. Appends replace the session inside {@code asMap().compute}, which holds
 * the entry's lock, so concurrent appends to one session serialise and lose nothing. Removal
 * bookkeeping runs on the calling thread ({@code executor(Runnable::run)}) and the eviction listener
 * runs atomically with the removal, so {@link #cleanupExpired()} can count what it removed.
 */
final class MemorySessionStore implements SessionStore {
    private final SessionStoreConfig config;
    private final Clock clock;
    private final StatsCounter counter = new StatsCounter();
    private final Cache<String, Session> cache;
    private final AtomicBoolean closed = new AtomicBoolean();

    MemorySessionStore(SessionStoreConfig config) {
        this.config = config;
        this.clock = config.clock();
        this.cache = Caffeine.newBuilder()
                .maximumSize(config.maxSessions())
                .expireAfterAccess(config.ttl())
                .ticker(ticker(clock))
                .scheduler(Scheduler.systemScheduler())
                .executor(Runnable::run)
                .evictionListener((String id, Session session, RemovalCause cause) -> {
                    if (cause == RemovalCause.EXPIRED) {
                        counter.recordExpiration();
                    } else if (cause == RemovalCause.SIZE) {
                        counter.recordEviction();
                    }
                })
                .build();
    }

    private static Ticker ticker(Clock clock) {
        if (clock.equals(Clock.systemUTC()) || clock.equals(Clock.systemDefaultZone())) {
            return Ticker.systemTicker();
        }
        return () -> {
            Instant now = clock.instant();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        };
    }

    @Override
    public Optional<Session> load(String sessionId) {
        return Optional.ofNullable(lookup(open(sessionId)));
    }

    @Override
    public Optional<Session> load(String sessionId, int lastN) {
        String id = open(sessionId);
        SessionTails.requireLastN(lastN);
        return Optional.ofNullable(lookup(id)).map(session -> SessionTails.newest(session, lastN));
    }

    /** Reads a session, renewing its TTL ({@code getIfPresent} counts as an access), and counts the hit or miss. */
    private Session lookup(String id) {
        Session session = cache.getIfPresent(id);
        counter.recordLoad(session != null);
        return session;
    }

    @Override
    public int append(String sessionId, List<ChatMessage> messages) {
        String id = open(sessionId);
        List<ChatMessage> incoming = List.copyOf(messages);
        Session updated = cache.asMap().compute(id, (key, old) -> appended(key, old, incoming));
        counter.recordAppend();
        return updated.messages().size();
    }

    @Override
    public OptionalInt appendAfter(String sessionId, String expectedLastId, List<ChatMessage> messages) {
        String id = open(sessionId);
        List<ChatMessage> incoming = List.copyOf(messages);
        boolean[] changed = new boolean[1];
        Session updated = cache.asMap().compute(id, (key, old) -> {
            List<ChatMessage> stored = old == null ? List.of() : old.messages();
            String last = stored.isEmpty() ? null : stored.get(stored.size() - 1).id();
            boolean replay = !incoming.isEmpty() && stored.stream().anyMatch(m -> m.id().equals(incoming.get(0).id()));
            if (!replay && !java.util.Objects.equals(last, expectedLastId)) {
                changed[0] = true;
                return old;
            }
            return appended(key, old, incoming);
        });
        if (changed[0]) {
            return OptionalInt.empty();
        }
        counter.recordAppend();
        return OptionalInt.of(updated.messages().size());
    }

    private Session appended(String id, Session old, List<ChatMessage> incoming) {
        Instant now = clock.instant();
        List<ChatMessage> all = new ArrayList<>(old == null ? List.of() : old.messages());
        Set<String> ids = new HashSet<>();
        all.forEach(m -> ids.add(m.id()));
        for (ChatMessage message : incoming) {
            if (ids.add(message.id())) {
                all.add(message);
            }
        }
        List<ChatMessage> kept = trim(all);
        return new Session(id, old == null ? now : old.createdAt(), now, kept);
    }

    private List<ChatMessage> trim(List<ChatMessage> messages) {
        int excess = messages.size() - config.historyLimit();
        return excess > 0 ? messages.subList(excess, messages.size()) : messages;
    }

    @Override
    public void save(Session session) {
        String id = open(session.id());
        cache.put(id, new Session(id, session.createdAt(), clock.instant(), trim(session.messages())));
    }

    @Override
    public boolean delete(String sessionId) {
        return cache.asMap().remove(open(sessionId)) != null;
    }

    @Override
    public boolean exists(String sessionId) {
        return cache.asMap().containsKey(open(sessionId));
    }

    @Override
    public long cleanupExpired() {
        ensureOpen();
        long before = counter.expirations();
        cache.cleanUp();
        return counter.expirations() - before;
    }

    @Override
    public SessionStats stats() {
        ensureOpen();
        cache.cleanUp();
        return counter.snapshot(backend(), cache.estimatedSize());
    }

    @Override
    public boolean ping() {
        return !closed.get();
    }

    @Override
    public String backend() {
        return "memory";
    }

    /** Remaining time to live of a session, for tests; empty if absent. */
    Optional<Duration> remainingTtl(String sessionId) {
        return cache.policy().expireAfterAccess()
                .flatMap(policy -> policy.ageOf(sessionId).map(age -> config.ttl().minus(age)));
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            cache.invalidateAll();
        }
    }

    @Override
    public String toString() {
        return "MemorySessionStore{ttl=" + config.ttl() + ", historyLimit=" + config.historyLimit()
                + ", maxSessions=" + config.maxSessions() + "}";
    }

    private String open(String sessionId) {
        ensureOpen();
        return SessionIds.requireValid(sessionId);
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new SessionStoreException("the in-memory session store is closed");
        }
    }
}
