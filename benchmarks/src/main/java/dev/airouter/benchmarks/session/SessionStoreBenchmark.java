package dev.airouter.benchmarks.session;

import dev.airouter.session.ChatMessage;
import dev.airouter.session.SessionStore;
import dev.airouter.session.SessionStoreConfig;
import dev.airouter.session.SessionStores;
import dev.airouter.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Throughput of one chat turn's storage work — append one message, then load the history — for the
 * in-memory store, the Redis store, and the same work as raw Lettuce commands (the baseline).
 *
 * <p>{@code raw}: {@code RPUSH} + {@code LTRIM} + {@code PEXPIRE} pipelined, then {@code LRANGE} +
 * {@code PEXPIRE} pipelined, on Lettuce's default client: two round trips, like the store's two
 * {@code EVALSHA}s, but without atomicity, dedupe, JSON, id validation or timeouts. The payload is the
 * same JSON text the store writes. Each benchmark thread has its own session (history limit 20), so
 * this measures per-call overhead, not contention on one key. The Redis server is a real {@code
 * redis-server} started on a free loopback port for the trial.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SessionStoreBenchmark {
    static final int HISTORY_LIMIT = 20;

    /** Which implementation to measure. */
    @Param({"memory", "redis", "raw"})
    public String backend;

    private RedisServer redis;
    private SessionStore store;
    private RedisClient rawClient;
    private StatefulRedisConnection<String, String> rawConnection;

    /** Starts Redis (unless measuring memory) and opens the store or the raw connection. */
    @Setup(Level.Trial)
    public void open() {
        if (!backend.equals("memory")) {
            redis = RedisServer.start();
        }
        switch (backend) {
            case "memory":
                store = SessionStores.memory(SessionStoreConfig.builder().historyLimit(HISTORY_LIMIT).build());
                break;
            case "redis":
                store = SessionStores.redis(SessionStoreConfig.builder().redisUrl(redis.url())
                        .connectTimeout(Duration.ofSeconds(15)) // a fresh fork on a busy machine is slow to connect
                        .keyPrefix("bench:store:").historyLimit(HISTORY_LIMIT).build());
                break;
            case "raw":
                rawClient = RedisClient.create(redis.url());
                rawConnection = rawClient.connect();
                break;
            default:
                throw new IllegalArgumentException("unknown backend " + backend);
        }
    }

    /** Closes everything opened in {@link #open()} and stops Redis. */
    @TearDown(Level.Trial)
    public void close() {
        if (store != null) {
            store.close();
        }
        if (rawClient != null) {
            rawConnection.close();
            rawClient.shutdown();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** One session per benchmark thread, and a counter for message ids. */
    @State(Scope.Thread)
    public static class Conversation {
        final String sessionId = "bench-" + UUID.randomUUID();
        final String rawKey = "bench:raw:" + sessionId;
        long next;
    }

    /**
     * Appends one message and loads the session.
     *
     * @param c this thread's conversation
     * @return the history length, so the work is not optimised away
     */
    @Benchmark
    public int appendThenLoad(Conversation c) throws Exception {
        long n = c.next++;
        ChatMessage message = new ChatMessage(c.sessionId + "-" + n, "user", "benchmark message number " + n,
                Instant.now(), Map.of());
        if (store != null) {
            store.append(c.sessionId, message);
            return store.load(c.sessionId).orElseThrow().messages().size();
        }
        return rawAppendThenLoad(c.rawKey, message);
    }

    private int rawAppendThenLoad(String key, ChatMessage m) throws Exception {
        String json = "{\"v\":1,\"id\":\"" + m.id() + "\",\"role\":\"user\",\"content\":\"" + m.content()
                + "\",\"ts\":\"" + m.timestamp() + "\"}";
        RedisAsyncCommands<String, String> async = rawConnection.async();
        async.rpush(key, json);
        async.ltrim(key, -HISTORY_LIMIT, -1);
        async.pexpire(key, 1_800_000).get(1, TimeUnit.SECONDS);
        RedisFuture<List<String>> history = async.lrange(key, 0, -1);
        async.pexpire(key, 1_800_000).get(1, TimeUnit.SECONDS);
        return history.get(1, TimeUnit.SECONDS).size();
    }
}
