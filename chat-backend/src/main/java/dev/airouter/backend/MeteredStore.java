package dev.airouter.backend;

import dev.airouter.session.ChatMessage;
import dev.airouter.session.InvalidSessionIdException;
import dev.airouter.session.Session;
import dev.airouter.session.SessionStats;
import dev.airouter.session.SessionStore;
import dev.airouter.session.StoreUnavailableException;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;

/**
 * A session store whose every call is timed into {@code airouter.store.operation.duration}, by
 * operation ({@code load}, {@code load_tail}, {@code append}, {@code append_after}, {@code save},
 * {@code delete}, {@code exists}, {@code cleanup}, {@code stats}, {@code ping}) and outcome
 * ({@code ok}, {@code invalid} — a session id the rules refuse —, {@code unavailable} — the store did not
 * answer —, {@code error} — anything else). Used only when metrics are on.
 */
final class MeteredStore implements SessionStore {
    private final SessionStore store;
    private final Metrics metrics;

    MeteredStore(SessionStore store, Metrics metrics) {
        this.store = store;
        this.metrics = metrics;
    }

    private <T> T timed(String operation, Supplier<T> call) {
        long started = System.nanoTime();
        String outcome = "error";
        try {
            T result = call.get();
            outcome = "ok";
            return result;
        } catch (InvalidSessionIdException e) {
            outcome = "invalid";
            throw e;
        } catch (StoreUnavailableException e) {
            outcome = "unavailable";
            throw e;
        } finally {
            metrics.storeCall(operation, outcome, System.nanoTime() - started);
        }
    }

    @Override
    public Optional<Session> load(String sessionId) {
        return timed("load", () -> store.load(sessionId));
    }

    @Override
    public Optional<Session> load(String sessionId, int lastN) {
        return timed("load_tail", () -> store.load(sessionId, lastN));
    }

    @Override
    public int append(String sessionId, List<ChatMessage> messages) {
        return timed("append", () -> store.append(sessionId, messages));
    }

    @Override
    public OptionalInt appendAfter(String sessionId, String expectedLastId, List<ChatMessage> messages) {
        return timed("append_after", () -> store.appendAfter(sessionId, expectedLastId, messages));
    }

    @Override
    public void save(Session session) {
        timed("save", () -> {
            store.save(session);
            return null;
        });
    }

    @Override
    public boolean delete(String sessionId) {
        return timed("delete", () -> store.delete(sessionId));
    }

    @Override
    public boolean exists(String sessionId) {
        return timed("exists", () -> store.exists(sessionId));
    }

    @Override
    public long cleanupExpired() {
        return timed("cleanup", store::cleanupExpired);
    }

    @Override
    public SessionStats stats() {
        return timed("stats", store::stats);
    }

    @Override
    public boolean ping() {
        long started = System.nanoTime();
        boolean up = store.ping();
        metrics.storeCall("ping", up ? "ok" : "unavailable", System.nanoTime() - started);
        return up;
    }

    @Override
    public String backend() {
        return store.backend();
    }

    @Override
    public long reconnects() {
        return store.reconnects();
    }

    @Override
    public void close() {
        store.close();
    }

    @Override
    public String toString() {
        return store.toString();
    }
}
