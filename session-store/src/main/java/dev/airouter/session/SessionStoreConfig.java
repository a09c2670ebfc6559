package dev.airouter.session;

import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Immutable settings for a session store; build one with {@link #builder()}, vary one with {@link
 * #toBuilder()}.
 *
 * <table>
 *   <caption>Options and defaults</caption>
 *   <tr><th>option</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code ttl}</td><td>30 min</td><td>sliding time to live of an untouched session</td></tr>
 *   <tr><td>{@code historyLimit}</td><td>20</td><td>messages kept per session, oldest dropped first</td></tr>
 *   <tr><td>{@code maxSessions}</td><td>10,000</td><td>in-memory store only: least recently used
 *       sessions are evicted beyond this</td></tr>
 *   <tr><td>{@code redisUrl}</td><td>{@code redis://127.0.0.1:6379}</td><td>{@code redis://},
 *       {@code rediss://} (TLS), {@code redis-sentinel://} or {@code rediss-sentinel://} URL; {@code none}
 *       for in-memory</td></tr>
 *   <tr><td>{@code keyPrefix}</td><td>{@code airouter:session:}</td><td>Redis key prefix</td></tr>
 *   <tr><td>{@code clientCache}</td><td>on</td><td>Redis store: serve chat histories from a client-side
 *       cache that Redis keeps true (standalone Redis 6.2+ on RESP3; off by itself elsewhere)</td></tr>
 *   <tr><td>{@code replicaAcks}</td><td>0 (off)</td><td>Redis store: an append is acknowledged only once
 *       this many replicas have it ({@code WAIT}), within {@code replicaAckTimeout} (default half the
 *       command timeout)</td></tr>
 *   <tr><td>{@code commandTimeout}</td><td>500 ms</td><td>longest wait for one Redis command</td></tr>
 *   <tr><td>{@code connectTimeout}</td><td>1 s</td><td>longest wait for the first Redis connection</td></tr>
 *   <tr><td>{@code clock}</td><td>system UTC</td><td>time source for TTLs (in memory) and timestamps</td></tr>
 * </table>
 *
 * <p>{@link #toString()} masks the Redis password. Instances are immutable and thread-safe; builders
 * are not thread-safe.
 */
public final class SessionStoreConfig {
    /** The {@code redisUrl} value that selects the in-memory store without trying Redis. */
    public static final String NO_REDIS = "none";

    private final Duration ttl;
    private final int historyLimit;
    private final int maxSessions;
    private final String redisUrl;
    private final String keyPrefix;
    private final boolean clientCache;
    private final int replicaAcks;
    private final Duration replicaAckTimeout;
    private final Duration commandTimeout;
    private final Duration connectTimeout;
    private final Clock clock;

    private SessionStoreConfig(Builder b) {
        this.ttl = b.ttl;
        this.historyLimit = b.historyLimit;
        this.maxSessions = b.maxSessions;
        this.redisUrl = b.redisUrl;
        this.keyPrefix = b.keyPrefix;
        this.clientCache = b.clientCache;
        this.replicaAcks = b.replicaAcks;
        this.replicaAckTimeout = b.replicaAckTimeout != null ? b.replicaAckTimeout : b.commandTimeout.dividedBy(2);
        this.commandTimeout = b.commandTimeout;
        this.connectTimeout = b.connectTimeout;
        this.clock = b.clock;
    }

    /** @return a builder holding the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the defaults, i.e. {@code builder().build()} */
    public static SessionStoreConfig ofDefaults() {
        return builder().build();
    }

    /** @return a builder holding this config's values, each of which may be set once more */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.ttl = ttl;
        b.historyLimit = historyLimit;
        b.maxSessions = maxSessions;
        b.redisUrl = redisUrl;
        b.keyPrefix = keyPrefix;
        b.clientCache = clientCache;
        b.replicaAcks = replicaAcks;
        b.replicaAckTimeout = replicaAckTimeout;
        b.commandTimeout = commandTimeout;
        b.connectTimeout = connectTimeout;
        b.clock = clock;
        return b;
    }

    /** @return the sliding time to live of a session */
    public Duration ttl() {
        return ttl;
    }

    /** @return how many messages a session keeps */
    public int historyLimit() {
        return historyLimit;
    }

    /** @return the in-memory store's maximum number of sessions */
    public int maxSessions() {
        return maxSessions;
    }

    /** @return the Redis URL, or {@link #NO_REDIS}; contains the password, do not log it */
    public String redisUrl() {
        return redisUrl;
    }

    /** @return whether Redis is disabled ({@code redisUrl} is {@code none}) */
    public boolean isRedisDisabled() {
        return NO_REDIS.equals(redisUrl);
    }

    /** @return the Redis URL with any password replaced by {@code ***}, safe to log */
    public String maskedRedisUrl() {
        return RedisUrls.mask(redisUrl);
    }

    /** @return the prefix of every Redis key */
    public String keyPrefix() {
        return keyPrefix;
    }

    /**
     * @return whether the Redis store may keep a client-side cache of chat histories: a tail load
     *     ({@link SessionStore#load(String, int)}) of a cached session then costs no round trip (and does
     *     not renew its TTL; the turn's append does), and {@link SessionStore#appendAfter} is what keeps a
     *     read that an invalidation had not yet reached from being stored as current
     */
    public boolean clientCache() {
        return clientCache;
    }

    /**
     * @return how many replicas must confirm an append before the Redis store acknowledges it (Redis
     *     {@code WAIT}); 0 = off, an append is acknowledged once the master has it, and a failover can
     *     lose the appends of the last moments before it
     */
    public int replicaAcks() {
        return replicaAcks;
    }

    /** @return how long an append waits for {@link #replicaAcks()} replicas before it fails */
    public Duration replicaAckTimeout() {
        return replicaAckTimeout;
    }

    /**
     * @return whether {@code redisUrl} names a Redis Sentinel setup ({@code redis-sentinel://} or {@code
     *     rediss-sentinel://}); such a store never falls back to memory
     */
    public boolean isSentinel() {
        return redisUrl.startsWith("redis-sentinel://") || redisUrl.startsWith("rediss-sentinel://");
    }

    /**
     * @return whether {@code redisUrl} names a Redis Cluster ({@code redis-cluster://} or {@code
     *     rediss-cluster://}); such a store never falls back to memory
     */
    public boolean isCluster() {
        return redisUrl.startsWith("redis-cluster://") || redisUrl.startsWith("rediss-cluster://");
    }

    /** @return the longest wait for one Redis command */
    public Duration commandTimeout() {
        return commandTimeout;
    }

    /** @return the longest wait for the first Redis connection */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** @return the time source */
    public Clock clock() {
        return clock;
    }

    @Override
    public String toString() {
        return "SessionStoreConfig{ttl=" + ttl + ", historyLimit=" + historyLimit + ", maxSessions=" + maxSessions
                + ", redisUrl=" + maskedRedisUrl() + ", keyPrefix=" + keyPrefix + ", clientCache=" + clientCache
                + ", replicaAcks=" + replicaAcks + ", replicaAckTimeout=" + replicaAckTimeout + ", commandTimeout="
                + commandTimeout + ", connectTimeout=" + connectTimeout + ", clock=" + clock + "}";
    }

    /**
     * Builds a {@link SessionStoreConfig}. Each setter validates its value at once and may be called
     * only once per builder (a second call is a mistake, and fails).
     */
    public static final class Builder {
        private final Set<String> set = new HashSet<>();
        private Duration ttl = Duration.ofMinutes(30);
        private int historyLimit = 20;
        private int maxSessions = 10_000;
        private String redisUrl = "redis://127.0.0.1:6379";
        private String keyPrefix = "airouter:session:";
        private boolean clientCache = true;
        private int replicaAcks;
        private Duration replicaAckTimeout; // null: half the command timeout
        private Duration commandTimeout = Duration.ofMillis(500);
        private Duration connectTimeout = Duration.ofSeconds(1);
        private Clock clock = Clock.systemUTC();

        private Builder() {}

        /**
         * Sets the sliding time to live; default 30 minutes.
         *
         * @param ttl at least 1 ms
         * @return this builder
         * @throws IllegalArgumentException if {@code ttl} is shorter than 1 ms
         * @throws IllegalStateException if the TTL was already set on this builder
         */
        public Builder ttl(Duration ttl) {
            this.ttl = positive("ttl", ttl);
            return this;
        }

        /**
         * Sets how many messages a session keeps; default 20.
         *
         * @param historyLimit 1 to 100,000
         * @return this builder
         * @throws IllegalArgumentException if out of range
         * @throws IllegalStateException if already set on this builder
         */
        public Builder historyLimit(int historyLimit) {
            this.historyLimit = range("historyLimit", historyLimit, 100_000);
            return this;
        }

        /**
         * Sets the in-memory store's maximum number of sessions; default 10,000. Redis ignores it.
         *
         * @param maxSessions 1 to 100,000,000
         * @return this builder
         * @throws IllegalArgumentException if out of range
         * @throws IllegalStateException if already set on this builder
         */
        public Builder maxSessions(int maxSessions) {
            this.maxSessions = range("maxSessions", maxSessions, 100_000_000);
            return this;
        }

        /**
         * Sets the Redis URL; default {@code redis://127.0.0.1:6379}. Forms: {@code
         * redis://[[user:]password@]host[:port][/db]}, {@code rediss://…} (TLS), {@code
         * redis-sentinel://[password@]host[:port][,host2[:port2]][/db]#masterName}, or {@code none}
         * (case-insensitive) for the in-memory store.
         *
         * @param redisUrl the URL
         * @return this builder
         * @throws IllegalArgumentException if the URL has another scheme or cannot be parsed (the
         *     message masks the password)
         * @throws IllegalStateException if already set on this builder
         */
        public Builder redisUrl(String redisUrl) {
            once("redisUrl");
            Objects.requireNonNull(redisUrl, "redisUrl");
            String trimmed = redisUrl.trim();
            this.redisUrl = NO_REDIS.equals(trimmed.toLowerCase(Locale.ROOT)) ? NO_REDIS : RedisUrls.validate(trimmed);
            return this;
        }

        /**
         * Sets the prefix of every Redis key; default {@code airouter:session:}.
         *
         * @param keyPrefix 1–64 printable ASCII characters without spaces or braces
         * @return this builder
         * @throws IllegalArgumentException if the prefix breaks that rule
         * @throws IllegalStateException if already set on this builder
         */
        public Builder keyPrefix(String keyPrefix) {
            once("keyPrefix");
            Objects.requireNonNull(keyPrefix, "keyPrefix");
            boolean ok = !keyPrefix.isEmpty() && keyPrefix.length() <= 64
                    && keyPrefix.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '{' && c != '}');
            if (!ok) {
                throw new IllegalArgumentException("keyPrefix must be 1-64 printable ASCII characters without"
                        + " spaces or braces, got \"" + keyPrefix + "\"");
            }
            this.keyPrefix = keyPrefix;
            return this;
        }

        /**
         * Lets the Redis store keep a client-side cache of chat histories, or not; default on. See
         * {@link SessionStoreConfig#clientCache()}.
         *
         * @param on whether to use it where it can be kept true
         * @return this builder
         * @throws IllegalStateException if already set on this builder
         */
        public Builder clientCache(boolean on) {
            once("clientCache");
            this.clientCache = on;
            return this;
        }

        /**
         * Makes the Redis store acknowledge an append (or a save) only once {@code replicas} replicas
         * have confirmed it with Redis {@code WAIT}, within half the command timeout. See {@link
         * #replicaAcks(int, Duration)}.
         *
         * @param replicas 0 (off, the default) to 16
         * @return this builder
         * @throws IllegalArgumentException if out of range
         * @throws IllegalStateException if already set on this builder
         */
        public Builder replicaAcks(int replicas) {
            once("replicaAcks");
            if (replicas < 0 || replicas > 16) {
                throw new IllegalArgumentException("replicaAcks must be between 0 and 16, got " + replicas);
            }
            this.replicaAcks = replicas;
            return this;
        }

        /**
         * Makes the Redis store acknowledge an append (or a save) only once {@code replicas} replicas
         * have confirmed it with Redis {@code WAIT}, so that a failover to one of them loses no
         * acknowledged message. Fewer confirmations within {@code timeout} fail the append with {@link
         * StoreUnavailableException}; the messages may then be kept or not (the master has them, a
         * replica may not). The store sends acknowledged writes on a few connections of their own, since
         * {@code WAIT} blocks the connection it runs on. With {@code replicas} above 0 the store never
         * falls back to memory (see {@link SessionStores#open}).
         *
         * @param replicas 0 (off, the default) to 16
         * @param timeout at least 1 ms, and shorter than the command timeout (checked by {@link #build()})
         * @return this builder
         * @throws IllegalArgumentException if out of range
         * @throws IllegalStateException if already set on this builder
         */
        public Builder replicaAcks(int replicas, Duration timeout) {
            replicaAcks(replicas);
            this.replicaAckTimeout = positive("replicaAckTimeout", timeout);
            return this;
        }

        /**
         * Sets the longest wait for one Redis command; default 500 ms.
         *
         * @param commandTimeout at least 1 ms
         * @return this builder
         * @throws IllegalArgumentException if shorter than 1 ms
         * @throws IllegalStateException if already set on this builder
         */
        public Builder commandTimeout(Duration commandTimeout) {
            this.commandTimeout = positive("commandTimeout", commandTimeout);
            return this;
        }

        /**
         * Sets the longest wait for the first Redis connection (TCP, TLS and handshake); default 1 s.
         * It also bounds the handshake of each automatic reconnect. A cold JVM on a busy machine can
         * need more than 1 s for the first handshake (class loading); raise it there, or the store
         * falls back to memory.
         *
         * @param connectTimeout at least 1 ms
         * @return this builder
         * @throws IllegalArgumentException if shorter than 1 ms
         * @throws IllegalStateException if already set on this builder
         */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = positive("connectTimeout", connectTimeout);
            return this;
        }

        /**
         * Sets the time source; default {@link Clock#systemUTC()}. The in-memory store measures TTLs
         * with it, so tests can move time forward; Redis measures TTLs with its own clock.
         *
         * @param clock the clock
         * @return this builder
         * @throws IllegalStateException if already set on this builder
         */
        public Builder clock(Clock clock) {
            once("clock");
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Builds the config.
         *
         * @return the config
         * @throws IllegalStateException if the TTL is not longer than the command timeout, if the
         *     replica acknowledgement timeout is not shorter than it, or if {@code replicaAcks} is set
         *     without Redis
         */
        public SessionStoreConfig build() {
            if (ttl.compareTo(commandTimeout) <= 0) {
                throw new IllegalStateException("ttl (" + ttl.toMillis() + " ms) must be longer than commandTimeout ("
                        + commandTimeout.toMillis() + " ms)");
            }
            if (replicaAckTimeout != null && replicaAckTimeout.compareTo(commandTimeout) >= 0) {
                throw new IllegalStateException("replicaAckTimeout (" + replicaAckTimeout.toMillis()
                        + " ms) must be shorter than commandTimeout (" + commandTimeout.toMillis() + " ms)");
            }
            if (replicaAcks > 0 && NO_REDIS.equals(redisUrl)) {
                throw new IllegalStateException("replicaAcks (" + replicaAcks + ") needs Redis, but redisUrl is none");
            }
            return new SessionStoreConfig(this);
        }

        private void once(String option) {
            if (!set.add(option)) {
                throw new IllegalStateException(option + " was already set on this builder");
            }
        }

        private Duration positive(String option, Duration value) {
            once(option);
            Objects.requireNonNull(value, option);
            if (value.compareTo(Duration.ofMillis(1)) < 0) {
                throw new IllegalArgumentException(option + " must be at least 1 ms, got " + value);
            }
            return value;
        }

        private int range(String option, int value, int max) {
            once(option);
            if (value < 1 || value > max) {
                throw new IllegalArgumentException(option + " must be between 1 and " + max + ", got " + value);
            }
            return value;
        }
    }
}
