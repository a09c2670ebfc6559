package dev.airouter.session;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Opens the connections of a Redis Cluster store ({@code redis-cluster://} URLs) with Lettuce's
 * cluster client.
 *
 * <p>Why each option: Lettuce leaves periodic topology refresh off by default, so after a failover
 * commands for the lost master's slots can fail until the application restarts (lettuce#2080). Here the topology is
 * refreshed every {@value #PERIODIC_REFRESH_SECONDS} s and at once on the adaptive triggers ({@code
 * MOVED}, {@code ASK}, persistent reconnect attempts to a node, an uncovered slot), asking every known
 * node ({@code dynamicRefreshSources}) and closing connections to nodes that left. (Filtering out
 * nodes marked failed was tried: a restarted old master's stale view then left its slots without any
 * master for a moment, and commands for them failed; since commands are rejected, not queued, while a
 * node is down, nothing waits on a dead node's link anyway.) Scripts are not replicated: a node without one answers {@code NOSCRIPT}, and the
 * store runs it with {@code EVAL} on that node (which caches it there). As for standalone
 * Redis, commands are rejected while a node is disconnected (503 at once) and nodes are reconnected
 * in the background. At connect, {@code CLUSTER INFO} must say {@code cluster_state:ok}: a cluster
 * with uncovered slots is a start error.
 */
final class RedisClusterConnector {
    static final int PERIODIC_REFRESH_SECONDS = 2;

    private RedisClusterConnector() {}

    static RedisConnector.Connection connect(SessionStoreConfig config, ClientResources resources) {
        String target = config.maskedRedisUrl();
        List<RedisURI> seeds = RedisUrls.clusterSeeds(config.redisUrl(), config.connectTimeout());
        RedisClusterClient client = RedisClusterClient.create(resources, seeds);
        client.setOptions(ClusterClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(config.connectTimeout()).keepAlive(true).build())
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .enablePeriodicRefresh(Duration.ofSeconds(PERIODIC_REFRESH_SECONDS))
                        .enableAllAdaptiveRefreshTriggers()
                        .adaptiveRefreshTriggersTimeout(Duration.ofSeconds(1))
                        .refreshTriggersReconnectAttempts(3)
                        .dynamicRefreshSources(true)
                        .closeStaleConnections(true)
                        .build())
                .build());
        int count = 1 + (config.replicaAcks() > 0 ? RedisConnector.ACK_CONNECTIONS : 0);
        List<CompletableFuture<StatefulRedisClusterConnection<String, String>>> futures = new ArrayList<>();
        Duration budget = config.connectTimeout().multipliedBy(seeds.size() + 1L); // the seeds are tried in turn
        try {
            // the asynchronous connect needs the topology read first; this also fails if no seed answers
            client.refreshPartitionsAsync().toCompletableFuture().get(budget.toMillis(), TimeUnit.MILLISECONDS);
            for (int i = 0; i < count; i++) {
                futures.add(client.connectAsync(StringCodec.UTF8).toCompletableFuture());
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(budget.toMillis(), TimeUnit.MILLISECONDS);
            List<StatefulRedisClusterConnection<String, String>> open = new ArrayList<>();
            for (var f : futures) {
                StatefulRedisClusterConnection<String, String> cluster = f.join();
                cluster.setTimeout(config.commandTimeout());
                open.add(cluster);
            }
            requireCovered(open.get(0), target);
            StatefulRedisClusterConnection<String, String> shared = open.get(0);
            connectToEveryNode(shared, config.connectTimeout());
            // a failover makes a replica master: connect to it before the first command for its slots does
            resources.eventBus().get().filter(event -> event instanceof ClusterTopologyChangedEvent)
                    .subscribe(event -> connectToEveryNodeAsync(shared));
            return new RedisConnector.Connection(resources, client, null, List.of(), open.get(0),
                    List.copyOf(open.subList(1, open.size())));
        } catch (TimeoutException e) {
            futures.forEach(f -> f.cancel(true));
            RedisConnector.shutdown(resources, client);
            throw new StoreUnavailableException("connect", target, "no connection within " + budget.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            RedisConnector.shutdown(resources, client);
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new StoreUnavailableException("connect", target, describe(cause), cause);
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            RedisConnector.shutdown(resources, client);
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("connect", target, "interrupted", e);
        } catch (RuntimeException e) {
            RedisConnector.shutdown(resources, client);
            throw e;
        }
    }

    /**
     * Opens the shared connection's link to every node now. Lettuce opens a node's link at the first
     * command for it, and with commands rejected while disconnected that first command would fail.
     */
    private static void connectToEveryNode(StatefulRedisClusterConnection<String, String> cluster, Duration timeout) {
        try {
            connectToEveryNodeAsync(cluster).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // a node that does not answer now gets its link at its first command, as Lettuce does by itself
        }
    }

    private static CompletableFuture<Void> connectToEveryNodeAsync(StatefulRedisClusterConnection<String, String> cluster) {
        List<CompletableFuture<?>> links = new ArrayList<>();
        for (RedisClusterNode node : cluster.getPartitions()) {
            if (node.is(RedisClusterNode.NodeFlag.UPSTREAM) && !node.is(RedisClusterNode.NodeFlag.FAIL)) {
                // by host and port: the key Lettuce routes slot commands by (a link by node id is another one)
                links.add(cluster.getConnectionAsync(node.getUri().getHost(), node.getUri().getPort()).toCompletableFuture());
                // and by node id: the link a cluster-wide SCAN (stats) goes through, node after node
                links.add(cluster.getConnectionAsync(node.getNodeId()).toCompletableFuture());
            }
        }
        return CompletableFuture.allOf(links.toArray(CompletableFuture[]::new));
    }

    /** Refuses a cluster that does not serve every slot: its sessions in uncovered slots would fail. */
    private static void requireCovered(StatefulRedisClusterConnection<String, String> cluster, String target) {
        String info = cluster.sync().clusterInfo();
        if (!info.contains("cluster_state:ok")) {
            String assigned = field(info, "cluster_slots_assigned");
            String ok = field(info, "cluster_slots_ok");
            throw new StoreUnavailableException("connect", target, "the cluster is not serving every slot (cluster_state:"
                    + field(info, "cluster_state") + ", " + assigned + " of 16384 slots assigned, " + ok
                    + " served): fix the cluster (redis-cli --cluster check / fix) before starting", null);
        }
    }

    private static String field(String info, String name) {
        for (String line : info.split("\\r?\\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        return "?";
    }

    /** Lettuce says "Cannot retrieve cluster partitions from [uris]"; the seeds' own reasons say why. */
    private static String describe(Throwable error) {
        List<String> reasons = new ArrayList<>();
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            for (Throwable suppressed : t.getSuppressed()) {
                reasons.add(RedisConnector.reason(suppressed));
            }
        }
        String reason = RedisConnector.reason(error);
        if (error.getMessage() != null && error.getMessage().startsWith("Cannot retrieve")) {
            return "no seed node answered" + (reasons.isEmpty() ? " (" + reason + ")" : ": " + String.join("; ", reasons));
        }
        return reason;
    }
}
