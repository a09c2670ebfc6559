package dev.airouter.session;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Chat history storage: conversations by session id, with a sliding TTL and a bounded history.
 *
 * <p>Two implementations share this contract: Redis ({@link #backend()} {@code "redis"}) and
 * in-memory ({@code "memory"}). Get one from {@link SessionStores#open}.
 *
 * <ul>
 *   <li><b>Sliding TTL</b>: {@link #load(String)}, {@link #load(String, int)}, {@link #append} and
 *       {@link #save} renew a session's time to live (default 30 minutes); a session nobody loads or
 *       writes is gone after the TTL. {@link #exists} does not renew it.
 *   <li><b>Bounded history</b>: every write keeps only the newest {@code historyLimit} messages
 *       (default 20), dropping the oldest.
 *   <li><b>Atomic, idempotent appends</b>: concurrent appends to one session — from many threads, or
 *       from several processes sharing one Redis — lose nothing and keep each caller's order. A message
 *       whose id is already among the session's recent messages (the ones it holds in memory; the last
 *       64 appended ones in Redis) is skipped, so retrying an append is safe.
 *   <li><b>Validated ids</b>: every method checks the session id first and throws {@link
 *       InvalidSessionIdException} before anything is read or written.
 *   <li><b>Failures</b>: a backend that is down or slower than the command timeout (default 500 ms)
 *       throws {@link StoreUnavailableException}; a Redis store never falls back to memory mid-run and
 *       recovers by itself when Redis returns.
 * </ul>
 *
 * <p>Implementations are thread-safe; share one instance. {@link #close()} is idempotent; any other
 * call after it throws {@link SessionStoreException}.
 */
public interface SessionStore extends AutoCloseable {

    /**
     * Loads a session and renews its TTL.
     *
     * @param sessionId the session id
     * @return the session, or empty if it does not exist or has expired
     * @throws InvalidSessionIdException if the id breaks the {@link SessionIds} rules
     * @throws StoreUnavailableException if the backend does not answer in time
     */
    Optional<Session> load(String sessionId);

    /**
     * Loads a session with only its newest {@code lastN} messages, oldest first, and renews its TTL
     * exactly as {@link #load(String)} does. For callers that pass on a bounded window of a history
     * that may be far longer (up to a {@code historyLimit} of 100,000): a store reads only the tail,
     * so the call's cost follows {@code lastN}, not the length of the history, and a long history
     * does not push it past the command timeout.
     *
     * <p>The session's id and timestamps are the stored ones; it holds all its messages when it has
     * no more than {@code lastN}, and none when {@code lastN} is 0, which still tells whether the
     * session exists and renews its TTL. The call counts as a hit or a miss in {@link #stats()}, like
     * {@link #load(String)}.
     *
     * <p>The default implementation loads the whole session with {@link #load(String)} and keeps its
     * tail, so a store written before this method existed keeps compiling and answers correctly, but
     * reads every message; such a store should override it. Both built-in stores do and read no more
     * than the tail: Redis fetches only those list elements, the in-memory store copies only them.
     *
     * @param sessionId the session id
     * @param lastN how many of the newest messages to return; 0 or more
     * @return the session holding at most {@code lastN} messages, or empty if it does not exist or has
     *     expired
     * @throws InvalidSessionIdException if the id breaks the {@link SessionIds} rules; checked first
     * @throws IllegalArgumentException if {@code lastN} is negative; nothing was read
     * @throws StoreUnavailableException if the backend does not answer in time
     */
    default Optional<Session> load(String sessionId, int lastN) {
        SessionIds.requireValid(sessionId);
        SessionTails.requireLastN(lastN);
        return load(sessionId).map(session -> SessionTails.newest(session, lastN));
    }

    /**
     * Appends messages to a session atomically, creating it if absent, then trims it to the history
     * limit and renews its TTL. Messages whose id the session already holds are skipped.
     *
     * @param sessionId the session id
     * @param messages the messages, oldest first; none just creates or touches the session
     * @return the number of messages the session holds afterwards
     * @throws InvalidSessionIdException if the id breaks the {@link SessionIds} rules
     * @throws StoreUnavailableException if the backend does not answer in time; the append may or may
     *     not have been applied, and retrying it with the same messages never duplicates them
     */
    int append(String sessionId, List<ChatMessage> messages);

    /**
     * Appends messages as {@link #append(String, List)} does, but only if nobody has appended to the
     * session since the caller read it: its newest message must still be {@code expectedLastId}
     * ({@code null}: the session must hold no message). A chat turn reads the history, asks a router,
     * then stores the question and the reply with this, so a reply computed from a history that
     * another process (or a concurrent request) has since extended is never stored as if it had seen
     * it; the caller reads again and answers again. Messages the session already holds (a retry of
     * this very append) count as appended, whatever the condition.
     *
     * <p>The default implementation appends unconditionally: right for a store only this process
     * writes to and that never serves a stale read. The Redis store checks the condition inside its
     * atomic append (it may serve a history from its client-side cache, so the check is what makes
     * a stale read harmless); the in-memory store checks it too.
     *
     * @param sessionId the session id
     * @param expectedLastId the id of the newest message the caller read, or {@code null} if it read none
     * @param messages the messages, oldest first
     * @return the number of messages the session holds afterwards, or empty if the session changed
     *     since (nothing was appended)
     * @throws InvalidSessionIdException if the id breaks the {@link SessionIds} rules
     * @throws StoreUnavailableException as for {@link #append(String, List)}
     */
    default OptionalInt appendAfter(String sessionId, String expectedLastId, List<ChatMessage> messages) {
        return OptionalInt.of(append(sessionId, messages));
    }

    /**
     * Appends messages; same as {@link #append(String, List)}.
     *
     * @param sessionId the session id
     * @param messages the messages, oldest first
     * @return the number of messages the session holds afterwards
     * @throws InvalidSessionIdException if the id breaks the {@link SessionIds} rules
     * @throws StoreUnavailableException if the backend does not answer in time
     */
    default int append(String sessionId, ChatMessage... messages) {
        return append(sessionId, List.of(messages));
    }

    /**
     * Replaces a session with this one (its created time and messages, trimmed to the history limit),
     * stamps its updated time with the store's clock and renews its TTL.
     *
     * @param session the session to store
     * @throws StoreUnavailableException if the backend does not answer in time
     */
    void save(Session session);

    /**
     * Deletes a session.
     *
     * @param sessionId the session id
     * @return whether a session was deleted
     * @throws InvalidSessionIdException if the id breaks the {@link SessionIds} rules
     * @throws StoreUnavailableException if the backend does not answer in time
     */
    boolean delete(String sessionId);

    /**
     * Tells whether a session exists, without renewing its TTL.
     *
     * @param sessionId the session id
     * @return whether it exists and has not expired
     * @throws InvalidSessionIdException if the id breaks the {@link SessionIds} rules
     * @throws StoreUnavailableException if the backend does not answer in time
     */
    boolean exists(String sessionId);

    /**
     * Removes expired sessions now instead of waiting for the background cleanup.
     *
     * @return how many sessions this call removed; always 0 for Redis, which expires keys itself
     * @throws StoreUnavailableException if the backend does not answer in time
     */
    long cleanupExpired();

    /**
     * Returns a snapshot of the store's counters; see {@link SessionStats} for what is exact.
     *
     * @return the counters
     * @throws StoreUnavailableException if the backend does not answer in time
     */
    SessionStats stats();

    /**
     * Checks that the backend answers, within the command timeout. Never throws for an outage.
     *
     * @return true if the backend answered (always true in memory while open)
     */
    boolean ping();

    /** @return {@code "redis"} or {@code "memory"} */
    String backend();

    /**
     * How many times a connection to the backend was (re-)established after the store opened: after a
     * dropped connection, a Sentinel or Cluster failover, or to a newly promoted cluster master. For
     * a metric ({@code airouter.store.redis.reconnects}); cheap, never blocks.
     *
     * <p>The default implementation returns 0 (a store without connections, such as the in-memory one).
     *
     * @return the count since {@link SessionStores#open}, never decreasing
     */
    default long reconnects() {
        return 0;
    }

    /** Releases connections and threads; idempotent, safe from any thread and a shutdown hook. */
    @Override
    void close();
}
