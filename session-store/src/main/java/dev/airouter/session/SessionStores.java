package dev.airouter.session;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens session stores: Redis when it is reachable, in-memory otherwise.
 *
 * <pre>{@code
 * SessionStoreConfig config = SessionStoreConfig.builder()
 *         .redisUrl(System.getenv().getOrDefault("REDIS_URL", "redis://127.0.0.1:6379"))
 *         .build();
 * try (SessionStore store = SessionStores.open(config)) {
 *     store.append(sessionId, ChatMessage.user("hello"), ChatMessage.assistant("Hi!"));
 *     List<ChatMessage> history = store.load(sessionId).map(Session::messages).orElse(List.of());
 * }
 * }</pre>
 *
 * <p>Stateless; every method opens a new store that the caller owns and must close.
 */
public final class SessionStores {
    private static final Logger LOG = LoggerFactory.getLogger(SessionStores.class);

    private SessionStores() {}

    /**
     * Opens the Redis store if Redis answers within the connect timeout (default 1 s), otherwise the
     * in-memory store; with {@code redisUrl} {@code none} the in-memory store without trying. Logs
     * (INFO) either {@code [OK] Redis connected (<url, password masked>)} or {@code [INFO] Using
     * in-memory session store (Redis unavailable: <reason>)}.
     *
     * <p>The fallback to memory is for a standalone {@code redis://} or {@code rediss://} URL only (a
     * developer's machine without Redis). A Sentinel or Cluster URL, or {@code replicaAcks} above 0, asks for
     * high availability or durability, which memory cannot give: then an unreachable Redis is an error
     * ({@link StoreUnavailableException} naming what is wrong: no sentinel reachable, no sentinel knows
     * the master name, wrong password, …), as from {@link #redis}.
     *
     * <p>The choice is made once: if Redis goes down later, the Redis store throws {@link
     * StoreUnavailableException} until it returns; it never switches to memory mid-run.
     *
     * @param config the settings
     * @return an open store, owned by the caller
     */
    public static SessionStore open(SessionStoreConfig config) {
        if (config.isRedisDisabled()) {
            LOG.info("[INFO] Using in-memory session store (Redis disabled: redisUrl is none)");
            return memory(config);
        }
        if (config.isSentinel() || config.isCluster() || config.replicaAcks() > 0) {
            SessionStore store = redis(config);
            LOG.info("[OK] Redis connected ({})", config.maskedRedisUrl());
            return store;
        }
        try {
            SessionStore store = redis(config);
            LOG.info("[OK] Redis connected ({})", config.maskedRedisUrl());
            return store;
        } catch (StoreUnavailableException e) {
            LOG.info("[INFO] Using in-memory session store (Redis unavailable: {} at {})", e.reason(), e.target());
            return memory(config);
        }
    }

    /**
     * Opens the in-memory store, whatever the Redis URL says.
     *
     * @param config the settings ({@code redisUrl}, {@code keyPrefix} and the timeouts are unused)
     * @return an open store, owned by the caller
     */
    public static SessionStore memory(SessionStoreConfig config) {
        return new MemorySessionStore(config);
    }

    /**
     * Opens the Redis store, without falling back to memory.
     *
     * @param config the settings
     * @return an open store, owned by the caller
     * @throws StoreUnavailableException if Redis does not answer within the connect timeout, refuses
     *     the credentials, or fails to answer {@code PING}; for a Sentinel URL also if no sentinel is
     *     reachable or none knows the master name (the message says what each one answered)
     * @throws IllegalArgumentException if {@code redisUrl} is {@code none}
     */
    public static SessionStore redis(SessionStoreConfig config) {
        if (config.isRedisDisabled()) {
            throw new IllegalArgumentException("redisUrl is none; set a redis:// URL to open the Redis store");
        }
        RedisSessionStore store = RedisSessionStore.open(config);
        if (!store.ping()) {
            store.close();
            throw new StoreUnavailableException("connect", config.maskedRedisUrl(), "connected but PING failed", null);
        }
        if (config.replicaAcks() > 0) {
            int replicas = store.connectedReplicas();
            if (replicas >= 0 && replicas < config.replicaAcks()) {
                // a warning, not an error: replicas reconnect by themselves (a deployment may start while one
                // restarts), and no write is acknowledged without them meanwhile, it fails with 503
                LOG.warn("[WARN] replicaAcks is {} but the Redis master has {} connected replica(s): every append"
                        + " fails (503) until {} are connected", config.replicaAcks(), replicas, config.replicaAcks());
            }
        }
        return store;
    }
}
