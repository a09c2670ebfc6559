package dev.airouter.session;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The contract against a store that inherits {@link SessionStore#load(String, int)}'s default, as a
 * third party's store written before the tail load does: the in-memory store behind a wrapper that
 * forwards every other method.
 */
class DefaultTailLoadTest extends MemorySessionStoreTest {

    @Override
    SessionStore newStore(UnaryOperator<SessionStoreConfig.Builder> tweak) {
        return new Forwarding(super.newStore(tweak));
    }

    @Override
    Duration remainingTtl(SessionStore store, String id) {
        return super.remainingTtl(((Forwarding) store).delegate, id);
    }

    /** The default {@code appendAfter} appends unconditionally, as documented: such a store never serves a stale read. */
    @Override
    @org.junit.jupiter.api.Test
    void appendAfterStoresOnlyOnTheStateTheCallerRead() {
        SessionStore store = newStore();
        String id = newId();
        store.append(id, message("meanwhile"));
        org.assertj.core.api.Assertions.assertThat(store.appendAfter(id, "some-older-id", List.of(message("q"))))
                .hasValue(2);
    }

    /** Implements exactly the methods a store had before the tail load existed. */
    private static final class Forwarding implements SessionStore {
        private final SessionStore delegate;

        Forwarding(SessionStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public Optional<Session> load(String sessionId) {
            return delegate.load(sessionId);
        }

        @Override
        public int append(String sessionId, List<ChatMessage> messages) {
            return delegate.append(sessionId, messages);
        }

        @Override
        public void save(Session session) {
            delegate.save(session);
        }

        @Override
        public boolean delete(String sessionId) {
            return delegate.delete(sessionId);
        }

        @Override
        public boolean exists(String sessionId) {
            return delegate.exists(sessionId);
        }

        @Override
        public long cleanupExpired() {
            return delegate.cleanupExpired();
        }

        @Override
        public SessionStats stats() {
            return delegate.stats();
        }

        @Override
        public boolean ping() {
            return delegate.ping();
        }

        @Override
        public String backend() {
            return delegate.backend();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
