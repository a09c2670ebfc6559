package dev.airouter.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The contract against the in-memory store, with a clock the tests move by hand. */
class MemorySessionStoreTest extends SessionStoreContract {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));

    @Override
    SessionStoreConfig baseConfig() {
        return SessionStoreConfig.builder().redisUrl("none").clock(clock).build();
    }

    @Override
    Duration shortTtl() {
        return Duration.ofMinutes(30);
    }

    @Override
    void elapse(SessionStore store, String id, Duration duration) {
        clock.advance(duration);
    }

    @Override
    void expire(SessionStore store, String id) {
        clock.advance(remainingTtl(store, id).plusMillis(1));
    }

    @Override
    Duration remainingTtl(SessionStore store, String id) {
        return ((MemorySessionStore) store).remainingTtl(id).orElse(Duration.ZERO);
    }

    @Test
    void theStoreIsTheMemoryBackend() {
        assertThat(newStore().backend()).isEqualTo("memory");
    }

    @Test
    void expiryIsExactToTheTtl() {
        SessionStore store = newStore();
        String id = newId();
        store.append(id, message("a"));
        clock.advance(Duration.ofMinutes(30).minusMillis(1));
        assertThat(store.exists(id)).isTrue();
        clock.advance(Duration.ofMillis(1));
        assertThat(store.exists(id)).isFalse();
    }

    @Test
    void cleanupExpiredRemovesAndCountsExpiredSessions() {
        SessionStore store = newStore();
        for (int i = 0; i < 3; i++) {
            store.append(newId(), message("x"));
        }
        clock.advance(Duration.ofMinutes(29));
        String fresh = newId();
        store.append(fresh, message("fresh"));
        clock.advance(Duration.ofMinutes(2));

        assertThat(store.cleanupExpired()).isEqualTo(3);
        assertThat(store.cleanupExpired()).isZero();
        SessionStats stats = store.stats();
        assertThat(stats.sessions()).isEqualTo(1);
        assertThat(stats.expirations()).isEqualTo(3);
        assertThat(store.exists(fresh)).isTrue();
    }

    @Test
    void theLeastRecentlyUsedSessionsAreEvictedBeyondMaxSessions() {
        SessionStore store = newStore(b -> b.maxSessions(10));
        for (int i = 0; i < 25; i++) {
            store.append(newId(), message("x"));
        }
        SessionStats stats = store.stats();
        assertThat(stats.sessions()).isEqualTo(10);
        assertThat(stats.evictions()).isEqualTo(15);
    }

    @Test
    void timestampsComeFromTheConfiguredClock() {
        SessionStore store = newStore();
        String id = newId();
        store.append(id, message("a"));
        clock.advance(Duration.ofSeconds(5));
        store.append(id, message("b"));
        Session session = store.load(id).orElseThrow();
        assertThat(session.createdAt()).isEqualTo(Instant.parse("2026-11-25T12:00:00Z"));
        assertThat(session.updatedAt()).isEqualTo(Instant.parse("2026-11-25T12:00:05Z"));
    }
}
