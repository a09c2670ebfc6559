package dev.airouter.session;

import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The Redis store: one shared Lettuce connection, every multi-key operation one Lua script.
 *
 * <p>Concurrency: scripts run atomically in Redis, so appends from any number of threads or processes
 * interleave only between whole scripts and lose nothing; MULTI/EXEC is not used because on a shared
 * connection one thread's commands would land inside another's transaction. The connection is
 * thread-safe and pipelines callers' commands. Scripts are called by SHA ({@code EVALSHA}); after a
 * Redis restart the script cache is empty, so a {@code NOSCRIPT} reply loads the script and retries
 * once. Appends are idempotent by message id (see {@link RedisScripts}), which makes retries safe.
 *
 * <p>Sentinel: the connection follows the master through failovers (see {@link RedisConnector}); a
 * {@code READONLY} reply (the connection reached a node that is a replica now) drops the connection so
 * that it reconnects to the current master, and the command fails as unavailable meanwhile. A promoted
 * replica has no scripts loaded: {@code NOSCRIPT} loads them, as after a restart.
 *
 * <p>With {@code replicaAcks}, writes go to one of a few connections of their own, each followed on
 * the same connection by {@code WAIT replicas timeout} (sent together, one round trip plus the
 * replication): {@code WAIT} blocks its connection, and reads and other sessions' commands on the shared
 * connection must not queue behind it. Fewer confirmations fail the write as unavailable.
 *
 * <p>Failures: timeouts, a lost connection (commands are rejected while disconnected) and Redis
 * states that pass by themselves ({@code LOADING}, {@code BUSY}, …) become {@link
 * StoreUnavailableException}; other error replies become {@link SessionStoreException}.
 */
final class RedisSessionStore implements SessionStore {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RedisSessionStore.class);
    /** At most one forced reconnect ({@code READONLY}) per this span, so a stale sentinel answer cannot make a storm. */
    private static final long RECONNECT_SPACING_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private final SessionStoreConfig config;
    private final Clock clock;
    private final RedisConnector.Connection connection;
    private final RedisClusterCommands<String, String> redis;
    private final RedisClusterAsyncCommands<String, String> scripts;
    private final StatsCounter counter = new StatsCounter();
    private final RedisSessionDecoder decoder = new RedisSessionDecoder();
    private final String target;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final RedisHistoryCache history; // null: no client-side cache (no RESP3, or not a standalone Redis)
    private final AtomicInteger nextAck = new AtomicInteger();
    private final AtomicLong lastReconnect = new AtomicLong(System.nanoTime() - RECONNECT_SPACING_NANOS);

    private final java.util.concurrent.atomic.AtomicLong reconnects = new java.util.concurrent.atomic.AtomicLong();

    RedisSessionStore(SessionStoreConfig config, RedisConnector.Connection connection) {
        this.config = config;
        this.clock = config.clock();
        this.connection = connection;
        this.redis = connection.sync();
        this.scripts = connection.async();
        this.target = config.maskedRedisUrl();
        this.history = track(config, connection);
        // every connection is open by now: a later activation is a connection re-established (after a
        // drop, a failover, or to a new cluster master); the bus ends with the resources at close
        connection.resources().eventBus().get()
                .filter(event -> event instanceof io.lettuce.core.event.connection.ConnectionActivatedEvent)
                .subscribe(event -> reconnects.incrementAndGet());
    }

    /**
     * Turns on the client-side cache where it can be kept true: a standalone Redis on RESP3 (a
     * Sentinel or Cluster setup fails over to other nodes, whose tracking this connection does not
     * have). Tracking is turned on again after every reconnect; until then the cache is empty and off.
     */
    private static RedisHistoryCache track(SessionStoreConfig config, RedisConnector.Connection connection) {
        String url = config.redisUrl();
        if (!config.clientCache()) {
            return null;
        }
        if (connection.redis() == null || !(url.startsWith("redis://") || url.startsWith("rediss://"))) {
            LOG.info("[INFO] Client-side cache off: on {} the connection moves between nodes, whose tracking it"
                    + " would not have; every chat turn reads its history from Redis",
                    config.isCluster() ? "a Redis Cluster" : "Redis Sentinel");
            return null;
        }
        var redis = connection.redis();
        try {
            if (!redis.sync().clientInfo().contains(" resp=3")) {
                LOG.info("[INFO] Client-side cache off: the connection is not on RESP3, which invalidations need");
                return null;
            }
            RedisHistoryCache cache = new RedisHistoryCache(config.keyPrefix(), config.historyLimit());
            redis.addListener(message -> {
                if (message.getType().equals("invalidate")) {
                    List<Object> content = message.getContent(io.lettuce.core.codec.StringCodec.UTF8::decodeKey);
                    Object keys = content.size() > 1 ? content.get(1) : null;
                    List<String> names = new ArrayList<>();
                    if (keys instanceof List<?> list) {
                        list.forEach(k -> names.add(String.valueOf(k)));
                    }
                    cache.invalidated(keys == null ? null : names);
                }
            });
            redis.addListener(new io.lettuce.core.RedisConnectionStateListener() {
                @Override
                public void onRedisDisconnected(io.lettuce.core.RedisChannelHandler<?, ?> handler) {
                    cache.trackingLost();
                }

                @Override
                public void onRedisConnected(io.lettuce.core.RedisChannelHandler<?, ?> handler,
                        java.net.SocketAddress address) {
                    cache.trackingLost();
                    redis.async().clientTracking(io.lettuce.core.TrackingArgs.Builder.enabled().noloop())
                            .thenAccept(ok -> cache.trackingOn());
                }
            });
            redis.sync().clientTracking(io.lettuce.core.TrackingArgs.Builder.enabled().noloop());
            cache.trackingOn();
            return cache;
        } catch (RedisException e) {
            LOG.info("[INFO] Client-side cache off: this Redis has no CLIENT INFO or CLIENT TRACKING (before 6.2)");
            return null;
        }
    }

    /** @return whether chat histories are served from the client-side cache (kept true by Redis) */
    boolean clientCacheActive() {
        return history != null && history.active();
    }

    /** Connects, or throws {@link StoreUnavailableException} within about the connect timeout. */
    static RedisSessionStore open(SessionStoreConfig config) {
        return new RedisSessionStore(config, RedisConnector.connect(config));
    }

    @Override
    public Optional<Session> load(String sessionId) {
        String id = SessionIds.requireValid(sessionId);
        return loaded(id, call("load", () -> eval(RedisScripts.LOAD, ScriptOutputType.MULTI, keys(id), ttlMillis())));
    }

    /**
     * {@inheritDoc}
     *
     * <p>Served from the client-side cache when the session is in it: no round trip, and then the
     * session's TTL is not renewed by the load (a chat turn renews it with its append).
     */
    @Override
    public Optional<Session> load(String sessionId, int lastN) {
        String id = SessionIds.requireValid(sessionId);
        SessionTails.requireLastN(lastN);
        if (history != null) {
            Session cached = history.get(id, lastN);
            if (cached != null) {
                counter.recordLoad(true);
                return Optional.of(cached);
            }
        }
        RedisHistoryCache.Stamp stamp = history == null ? null : history.stamp(id);
        // with the cache on, read the whole (trimmed) list, so that any later tail can come from it — unless
        // it is long: then only the tail asked for is read, and cached as a tail
        int read = stamp == null || config.historyLimit() > RedisHistoryCache.MAX_CACHED_HISTORY ? lastN
                : Math.max(lastN, config.historyLimit());
        String count = Integer.toString(read);
        Optional<Session> session = loaded(id, call("load",
                () -> eval(RedisScripts.LOAD_TAIL, ScriptOutputType.MULTI, keys(id), ttlMillis(), count)));
        if (stamp != null && session.isPresent()) {
            Session s = session.get();
            history.put(id, stamp, new RedisHistoryCache.Entry(s.createdAt(), s.updatedAt(), s.messages(),
                    s.messages().size() < read));
        }
        return read == lastN ? session : session.map(s -> SessionTails.newest(s, lastN));
    }

    /** Counts a load and decodes the reply of either load script; an empty reply means no session. */
    private Optional<Session> loaded(String id, List<Object> reply) {
        counter.recordLoad(!reply.isEmpty());
        if (reply.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(decoder.decode(id, reply));
    }

    @Override
    public int append(String sessionId, List<ChatMessage> messages) {
        String id = SessionIds.requireValid(sessionId);
        try {
            return append(id, RedisScripts.APPEND, null, messages, clock.instant());
        } finally {
            if (history != null) {
                history.invalidate(id); // its own write untracks the key: not kept
            }
        }
    }

    @Override
    public OptionalInt appendAfter(String sessionId, String expectedLastId, List<ChatMessage> messages) {
        String id = SessionIds.requireValid(sessionId);
        RedisHistoryCache.Stamp stamp = history == null ? null : history.stamp(id);
        Instant now = clock.instant();
        int size;
        try {
            size = append(id, RedisScripts.APPEND_IF, expectedLastId == null ? "" : expectedLastId, messages, now);
        } catch (RuntimeException e) {
            if (history != null) {
                history.invalidate(id);
            }
            throw e;
        }
        if (size < 0) {
            if (history != null) {
                history.invalidate(id); // it was stale: the next load reads Redis
            }
            return OptionalInt.empty();
        }
        if (history != null) {
            history.appended(id, stamp, expectedLastId, messages, now);
        }
        return OptionalInt.of(size);
    }

    /** Runs an append script; {@code condition} null for the unconditional one. @return the size, or -1 if refused */
    private int append(String id, RedisScripts.Script script, String condition, List<ChatMessage> messages, Instant now) {
        List<String> args = new ArrayList<>(6 + 2 * messages.size());
        args.add(Integer.toString(config.historyLimit()));
        args.add(ttlMillis());
        args.add(now.toString());
        args.add(Integer.toString(SessionJson.FORMAT_VERSION));
        args.add(Integer.toString(dedupeWindow()));
        if (condition != null) {
            args.add(condition);
        }
        String[] jsons = new String[messages.size()];
        for (int i = 0; i < jsons.length; i++) {
            jsons[i] = SessionJson.write(messages.get(i));
            args.add(messages.get(i).id());
            args.add(jsons[i]);
        }
        List<Object> reply = call("append",
                () -> write(script, ScriptOutputType.MULTI, keys(id), args.toArray(String[]::new)));
        int size = ((Long) reply.get(0)).intValue();
        if (size < 0) {
            return size;
        }
        for (int i = 0; i < jsons.length; i++) {
            decoder.remember(jsons[i], messages.get(i)); // the next load need not parse them
        }
        counter.recordAppend();
        return size;
    }

    @Override
    public void save(Session session) {
        String id = session.id();
        List<String> args = new ArrayList<>(6 + 2 * session.messages().size());
        args.add(Integer.toString(config.historyLimit()));
        args.add(ttlMillis());
        args.add(session.createdAt().toString());
        args.add(clock.instant().toString());
        args.add(Integer.toString(SessionJson.FORMAT_VERSION));
        args.add(Integer.toString(dedupeWindow()));
        for (ChatMessage message : session.messages()) {
            args.add(message.id());
            args.add(SessionJson.write(message));
        }
        try {
            call("save", () -> write(RedisScripts.SAVE, ScriptOutputType.INTEGER, keys(id), args.toArray(String[]::new)));
        } finally {
            if (history != null) {
                history.invalidate(id);
            }
        }
    }

    @Override
    public boolean delete(String sessionId) {
        String id = SessionIds.requireValid(sessionId);
        String[] keys = keys(id);
        try {
            return call("delete", () -> redis.del(keys)) > 0;
        } finally {
            if (history != null) {
                history.invalidate(id);
            }
        }
    }

    @Override
    public boolean exists(String sessionId) {
        String key = keys(SessionIds.requireValid(sessionId))[0];
        return call("exists", () -> redis.exists(key)) > 0;
    }

    @Override
    public long cleanupExpired() {
        ensureOpen();
        return 0; // Redis removes expired keys itself
    }

    @Override
    public SessionStats stats() {
        long sessions = call("stats", this::countSessions);
        return counter.snapshot(backend(), sessions);
    }

    private long countSessions() {
        ScanArgs args = ScanArgs.Builder.matches(RedisKeys.globEscape(config.keyPrefix()) + "{*}").limit(1000);
        long count = 0;
        var cursor = redis.scan(args);
        count += cursor.getKeys().size();
        while (!cursor.isFinished()) {
            cursor = redis.scan(cursor, args);
            count += cursor.getKeys().size();
        }
        return count;
    }

    @Override
    public boolean ping() {
        if (closed.get()) {
            return false;
        }
        try {
            return "PONG".equals(redis.ping());
        } catch (RedisException e) {
            return false;
        }
    }

    @Override
    public String backend() {
        return "redis";
    }

    @Override
    public long reconnects() {
        return reconnects.get();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            connection.close();
            decoder.clear();
        }
    }

    @Override
    public String toString() {
        return "RedisSessionStore{" + target + ", keyPrefix=" + config.keyPrefix() + ", ttl=" + config.ttl()
                + ", historyLimit=" + config.historyLimit() + "}";
    }

    String[] keys(String id) {
        return RedisKeys.of(config.keyPrefix(), id);
    }

    private String ttlMillis() {
        return Long.toString(config.ttl().toMillis());
    }

    private int dedupeWindow() {
        return RedisScripts.DEDUPE_WINDOW;
    }

    private <T> T eval(RedisScripts.Script script, ScriptOutputType type, String[] keys, String... args) {
        try {
            return await(scripts.evalsha(script.sha, type, keys, args));
        } catch (RedisNoScriptException e) {
            // Redis restarted, failed over to a replica (scripts are not replicated), or flushed its script
            // cache: EVAL runs the script by its source on the node that owns the keys, and caches it there
            return await(scripts.eval(script.source, type, keys, args));
        }
    }

    /** A script that writes: {@link #eval}, or with {@code replicaAcks} on, acknowledged by replicas. */
    private <T> T write(RedisScripts.Script script, ScriptOutputType type, String[] keys, String... args) {
        if (config.replicaAcks() == 0) {
            return eval(script, type, keys, args);
        }
        int index = Math.floorMod(nextAck.getAndIncrement(), connection.ackConnections());
        StatefulRedisConnection<String, String> link = connection.ackLink(index, keys[0], target);
        int replicas = config.replicaAcks();
        long waitMillis = config.replicaAckTimeout().toMillis();
        try {
            RedisAsyncCommands<String, String> async = link.async();
            RedisFuture<T> written = async.evalsha(script.sha, type, keys, args);
            RedisFuture<Long> confirmed = async.waitForReplication(replicas, waitMillis); // same connection, right after
            T result;
            try {
                result = await(written);
            } catch (RedisNoScriptException e) {
                await(confirmed); // nothing was written; keep the connection's replies in step
                written = async.eval(script.source, type, keys, args);
                confirmed = async.waitForReplication(replicas, waitMillis);
                result = await(written);
            }
            long count = await(confirmed);
            if (count < replicas) {
                throw new StoreUnavailableException("append", target, "only " + count + " of " + replicas
                        + " replica(s) confirmed the write within " + waitMillis
                        + " ms (replicaAcks); it may or may not be kept", null);
            }
            return result;
        } catch (RedisCommandExecutionException e) {
            if (connection.cluster() != null && e.getMessage() != null
                    && (e.getMessage().startsWith("MOVED") || e.getMessage().startsWith("ASK"))) {
                // the slot moved (a failover) since the topology this connection knows: the next append asks anew
                ((io.lettuce.core.cluster.RedisClusterClient) connection.client()).refreshPartitionsAsync();
            }
            throw readOnly(link, e);
        }
    }

    /**
     * For a {@code READONLY} reply (this connection reached a replica: a failover demoted its node),
     * drops the connection so that it reconnects to the current master; returns {@code e} to throw.
     */
    private RedisCommandExecutionException readOnly(StatefulRedisConnection<String, String> link,
            RedisCommandExecutionException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("READONLY")) {
            long last = lastReconnect.get();
            long now = System.nanoTime();
            if (now - last >= RECONNECT_SPACING_NANOS && lastReconnect.compareAndSet(last, now)) {
                RedisConnector.reconnect(link);
            }
        }
        return e;
    }

    /**
     * @return the replicas the master reports as connected ({@code INFO replication}); on a cluster the
     *     fewest of any master (from the cluster's topology); -1 if unknown
     */
    int connectedReplicas() {
        if (connection.cluster() != null) {
            var partitions = connection.cluster().getPartitions();
            int fewest = Integer.MAX_VALUE;
            for (var node : partitions) {
                if (node.is(io.lettuce.core.cluster.models.partitions.RedisClusterNode.NodeFlag.UPSTREAM)) {
                    int count = 0;
                    for (var other : partitions) {
                        if (node.getNodeId().equals(other.getSlaveOf()) && other.isConnected()
                                && !other.is(io.lettuce.core.cluster.models.partitions.RedisClusterNode.NodeFlag.FAIL)) {
                            count++;
                        }
                    }
                    fewest = Math.min(fewest, count);
                }
            }
            return fewest == Integer.MAX_VALUE ? -1 : fewest;
        }
        try {
            for (String line : redis.info("replication").split("\\r?\\n")) {
                if (line.startsWith("connected_slaves:")) {
                    return Integer.parseInt(line.substring("connected_slaves:".length()).trim());
                }
            }
        } catch (RedisException | NumberFormatException e) {
            // unknown; the caller only warns
        }
        return -1;
    }

    /**
     * What the synchronous API does (wait up to the command timeout, then cancel and throw), without
     * its reflective proxy: scripts are every chat turn's commands, and the proxy was a measurable
     * part of their CPU.
     */
    private <T> T await(RedisFuture<T> future) {
        return LettuceFutures.awaitOrCancel(future, config.commandTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    private <T> T call(String operation, Supplier<T> command) {
        ensureOpen();
        try {
            return command.get();
        } catch (RedisException e) {
            if (closed.get()) {
                throw new SessionStoreException("the Redis session store is closed", e);
            }
            if (e instanceof RedisCommandExecutionException failed && connection.redis() != null) {
                readOnly(connection.redis(), failed);
            }
            throw RedisErrors.translate(operation, target, config.commandTimeout(), e);
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new SessionStoreException("the Redis session store is closed");
        }
    }
}
