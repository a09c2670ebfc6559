package dev.airouter.session;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.protocol.DefaultEndpoint;
import io.lettuce.core.Delegating;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Opens the one shared Lettuce connection of a Redis store, configured to fail fast.
 *
 * <p>Why each option: Lettuce's default command timeout is 60 s, ours is {@code commandTimeout}
 * (500 ms, set on the connection once it is open; the handshake gets {@code connectTimeout}, since a
 * cold JVM can need more than 500 ms for it) so a stalled Redis never hangs a request thread: the
 * synchronous API waits that long, then cancels the command and throws, and the store awaits its
 * scripts (sent on the asynchronous API) with the same deadline. (Lettuce's {@code TimeoutOptions},
 * on by default, expire commands after that timeout as well; the store does not rely on them.) By default Lettuce buffers commands without bound while
 * disconnected; {@code REJECT_COMMANDS} makes them fail at once instead. {@code
 * autoReconnect} keeps trying in the background (10 ms doubling to at most 1 s between attempts), so
 * the store recovers by itself. Commands in flight at a disconnect are not replayed after the reconnect
 * ({@code replayFilter}): their callers were already told they failed. Lettuce does not retry a failed
 * first connect, so this class fails with {@link StoreUnavailableException} within {@code
 * connectTimeout}. Each store owns its client resources (two small thread pools) and frees them in
 * {@link Connection#close()}.
 *
 * <p>Sentinel URLs ({@code redis-sentinel://}): the master is looked up by {@link SentinelClient}, which
 * asks every listed sentinel in turn until one names the master (Lettuce alone asks only the first
 * sentinel that accepts a connection), at the first connect and at every reconnect, so after a
 * failover the connection reaches the new master by itself. With {@code replicaAcks}, a few more
 * connections carry the acknowledged writes, since {@code WAIT} blocks the connection it runs on.
 */
final class RedisConnector {
    private static final Logger LOG = LoggerFactory.getLogger(RedisConnector.class);
    private static final String PREMATURE_CLOSE = "Connection closed prematurely";
    private RedisConnector() {}

    /** Connections for acknowledged writes when {@code replicaAcks} is on: {@code WAIT} blocks its connection. */
    static final int ACK_CONNECTIONS = 4;

    /**
     * An open connection with the client and resources it owns, and the connections acknowledged writes
     * use (empty without {@code replicaAcks}). Exactly one of {@code redis} (standalone, Sentinel) and
     * {@code cluster} is set, and the acknowledged-write connections are of the same kind.
     */
    record Connection(ClientResources resources, AbstractRedisClient client, StatefulRedisConnection<String, String> redis,
            List<StatefulRedisConnection<String, String>> acks, StatefulRedisClusterConnection<String, String> cluster,
            List<StatefulRedisClusterConnection<String, String>> clusterAcks) implements AutoCloseable {
        /** @return the synchronous commands of the shared connection (routed by key on a cluster) */
        RedisClusterCommands<String, String> sync() {
            return cluster != null ? cluster.sync() : redis.sync();
        }

        /** @return the asynchronous commands of the shared connection (routed by key on a cluster) */
        RedisClusterAsyncCommands<String, String> async() {
            return cluster != null ? cluster.async() : redis.async();
        }

        /** @return the number of connections for acknowledged writes */
        int ackConnections() {
            return cluster != null ? clusterAcks.size() : acks.size();
        }

        /**
         * The connection an acknowledged write of {@code key} goes to, on which its {@code WAIT} must
         * run too: on a cluster, that of the master owning the key's slot (a keyless {@code WAIT} sent
         * through the cluster connection would go to any node).
         *
         * @param index which acknowledged-write connection, 0 to {@link #ackConnections()} - 1
         * @throws StoreUnavailableException if no master owns the slot now
         */
        StatefulRedisConnection<String, String> ackLink(int index, String key, String target) {
            if (cluster == null) {
                return acks.get(index);
            }
            StatefulRedisClusterConnection<String, String> link = clusterAcks.get(index);
            int slot = SlotHash.getSlot(key);
            RedisClusterNode master = link.getPartitions().getMasterBySlot(slot); // looked up anew: a failover moves it
            if (master == null) {
                throw new StoreUnavailableException("append", target, "no master owns slot " + slot + " now", null);
            }
            return link.getConnection(master.getNodeId());
        }

        @Override
        public void close() {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
    }

    static Connection connect(SessionStoreConfig config) {
        for (int attempt = 1; ; attempt++) {
            try {
                return connectOnce(config);
            } catch (StoreUnavailableException e) {
                // Lettuce's handshake can report a refused AUTH (WRONGPASS, NOAUTH) as "Connection closed
                // prematurely": it closes the channel, and the close may complete the handshake first. The
                // real reason is what the user needs, so the connect is tried again (twice at most).
                if (attempt == 3 || !PREMATURE_CLOSE.equals(e.reason())) {
                    throw e;
                }
            }
        }
    }

    private static Connection connectOnce(SessionStoreConfig config) {
        if (config.isCluster()) {
            return RedisClusterConnector.connect(config, resources());
        }
        String target = config.maskedRedisUrl();
        RedisURI uri = RedisURI.create(config.redisUrl());
        uri.setTimeout(config.connectTimeout()); // bounds the handshake (HELLO, AUTH) of a cold JVM too
        uri.getSentinels().forEach(sentinel -> sentinel.setTimeout(config.connectTimeout()));
        // a Sentinel lookup may ask every sentinel before it connects to the master
        Duration budget = config.connectTimeout().multipliedBy(uri.getSentinels().size() + 1L);
        ClientResources resources = resources();
        RedisClient client = uri.getSentinels().isEmpty() ? RedisClient.create(resources, uri)
                : new SentinelClient(resources, uri, config.connectTimeout());
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .replayFilter(command -> true)
                .socketOptions(SocketOptions.builder().connectTimeout(config.connectTimeout()).keepAlive(true).build())
                .build());
        int count = 1 + (config.replicaAcks() > 0 ? ACK_CONNECTIONS : 0);
        List<CompletableFuture<StatefulRedisConnection<String, String>>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            futures.add(client.connectAsync(StringCodec.UTF8, uri).toCompletableFuture());
        }
        CompletableFuture<Void> future = CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new));
        try {
            future.get(budget.toMillis(), TimeUnit.MILLISECONDS);
            List<StatefulRedisConnection<String, String>> open = new ArrayList<>();
            for (var f : futures) {
                StatefulRedisConnection<String, String> redis = f.join();
                redis.setTimeout(config.commandTimeout()); // what the synchronous API waits for each command
                open.add(redis);
            }
            Connection connection = new Connection(resources, client, open.get(0), List.copyOf(open.subList(1, open.size())),
                    null, List.of());
            if (client instanceof SentinelClient sentinel) {
                sentinel.watchSwitches(uri, () -> open.forEach(RedisConnector::reconnect));
            }
            return connection;
        } catch (TimeoutException e) {
            futures.forEach(f -> f.cancel(true));
            shutdown(resources, client);
            throw new StoreUnavailableException("connect", target,
                    "no connection within " + budget.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            shutdown(resources, client);
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new StoreUnavailableException("connect", target, reason(cause), cause);
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            shutdown(resources, client);
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("connect", target, "interrupted", e);
        }
    }

    /** Two small thread pools, and reconnects after 10 ms doubling to at most 1 s. */
    static ClientResources resources() {
        return DefaultClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
                .build();
    }

    /** The innermost cause's message, which says what actually went wrong (refused, NOAUTH, …). */
    static String reason(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        // Netty's native transport says "finishConnect(..) failed with error(-111): Connection refused"
        return RedisUrls.mask(message.replaceFirst("^finishConnect\\(\\.\\.\\) failed with error\\(-?\\d+\\): ", ""));
    }

    /**
     * Drops a connection's socket so that it reconnects, through the Sentinel lookup, to whichever node
     * is master now: for a connection that landed on a replica ({@code READONLY}). Lettuce reconnects
     * by itself; commands fail fast (503) until it has.
     */
    static void reconnect(StatefulRedisConnection<String, String> connection) {
        if (!(connection instanceof RedisChannelHandler<?, ?> handler)) {
            return;
        }
        Object writer = handler.getChannelWriter();
        while (writer instanceof Delegating<?> wrapper) { // Lettuce wraps its endpoint (command expiry, …)
            writer = wrapper.getDelegate();
        }
        if (writer instanceof DefaultEndpoint endpoint) {
            endpoint.disconnect();
        } else {
            LOG.warn("cannot drop the Redis connection to reconnect it: its writer is a {}", writer.getClass().getName());
        }
    }

    /** Frees a client that never connected, in the background: the caller is on its way to memory. */
    static void shutdown(ClientResources resources, AbstractRedisClient client) {
        client.shutdownAsync(0, 2, TimeUnit.SECONDS)
                .whenComplete((ignored, error) -> resources.shutdown(0, 2, TimeUnit.SECONDS));
    }
}
