package dev.airouter.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoLeftoverProcesses.class)
class RedisClusterTopologyTest {
    private static final Duration FAILOVER_DEADLINE = Duration.ofSeconds(30);
    private static final List<String> KEYS = List.of("{a}:k", "{b}:k", "{c}:k", "{d}:k", "{e}:k", "{f}:k");

    @Test
    void keysLiveOnTheirMasterAndAKilledMasterFailsOverAndComesBackAsAReplica() {
        long started = System.nanoTime();
        try (RedisClusterTopology redis = RedisClusterTopology.start()) {
            System.out.printf("cluster (3 masters, 1 replica each) ready in %d ms%n",
                    Duration.ofNanos(System.nanoTime() - started).toMillis());
            List<Integer> masters = redis.masters().stream().map(RedisServer::port).toList();
            assertThat(masters).hasSize(3);
            assertThat(redis.replicas()).hasSize(3);
            assertThat(redis.url()).isEqualTo(masters.stream().map(p -> "127.0.0.1:" + p)
                    .collect(Collectors.joining(",", "redis-cluster://", "")));

            Set<Integer> owners = new TreeSet<>();
            for (String key : KEYS) {
                int owner = redis.masterForKey(key);
                owners.add(owner);
                assertThat(redis.command(owner, "SET", key, key)).isEqualTo("OK");
                assertThat(redis.command(owner, "GET", key)).isEqualTo(key);
                int other = masters.stream().filter(p -> p != owner).findFirst().orElseThrow();
                assertThatThrownBy(() -> redis.command(other, "GET", key)).hasMessageStartingWith("MOVED ")
                        .hasMessageEndingWith("127.0.0.1:" + owner);
            }
            assertThat(owners).as("the hash tags spread over the masters").hasSizeGreaterThan(1);

            String key = KEYS.get(0);
            int replica = replicaOf(redis, redis.masterForKey(key));
            await().atMost(Duration.ofSeconds(10)).until(() -> key.equals(readOnlyGet(replica, key)));
            int old = redis.killMasterOf(key);
            long killed = System.nanoTime();
            int promoted = redis.awaitFailover(old, FAILOVER_DEADLINE);
            System.out.printf("cluster failover after SIGKILL of a master (node timeout %d ms): %d ms%n",
                    RedisClusterTopology.DEFAULT_NODE_TIMEOUT.toMillis(), Duration.ofNanos(System.nanoTime() - killed).toMillis());

            assertThat(promoted).isEqualTo(replica);
            assertThat(redis.masterForKey(key)).isEqualTo(promoted);
            assertThat(redis.command(promoted, "GET", key)).isEqualTo(key);
            assertThat(redis.command(promoted, "SET", key, "after")).isEqualTo("OK");

            redis.restart(old);
            long restarted = System.nanoTime();
            assertThat(redis.awaitReplica(old, FAILOVER_DEADLINE)).isEqualTo(promoted);
            System.out.printf("restarted old master settled as a replica after %d ms%n",
                    Duration.ofNanos(System.nanoTime() - restarted).toMillis());
            assertThat(readOnlyGet(old, key)).isEqualTo("after");
            assertThat(redis.replicas().stream().map(RedisServer::port)).contains(old);
        }
    }

    @Test
    void passwordGuardsEveryNodeAndManualFailoverSwapsMasterAndReplica() {
        try (RedisClusterTopology redis = RedisClusterTopology.builder().password("s3cret").nodeTimeout(Duration.ofSeconds(1))
                .start()) {
            assertThat(redis.url()).startsWith("redis-cluster://s3cret@127.0.0.1:");
            assertThat(redis.toString()).contains("redis-cluster://***@").doesNotContain("s3cret");
            assertThatThrownBy(() -> redis.nodes().get(0).command("GET", "k")).hasMessageStartingWith("NOAUTH");

            int master = redis.masterForKey("k");
            redis.command(master, "SET", "k", "v");
            int replica = replicaOf(redis, master);
            long asked = System.nanoTime();
            assertThat(redis.failover(replica, FAILOVER_DEADLINE)).isEqualTo(replica);
            System.out.printf("manual cluster failover (CLUSTER FAILOVER): %d ms%n",
                    Duration.ofNanos(System.nanoTime() - asked).toMillis());
            assertThat(redis.masterForKey("k")).isEqualTo(replica);
            assertThat(redis.command(replica, "GET", "k")).isEqualTo("v");
            assertThat(redis.awaitReplica(master, FAILOVER_DEADLINE)).isEqualTo(replica);
        }
    }

    @Test
    void uncoveredSlotsFailTheClusterState() {
        try (RedisClusterTopology redis = RedisClusterTopology.builder().replicas(0).start()) {
            int port = redis.nodes().get(0).port();
            redis.uncoverSlots(0, 99);

            Map<String, String> info = RedisReplies.infoFields(redis.command(port, "CLUSTER", "INFO"));
            assertThat(info).containsEntry("cluster_state", "fail").containsEntry("cluster_slots_assigned", "16284");
            assertThatThrownBy(() -> redis.command(redis.masterForKey("k"), "GET", "k")).hasMessageStartingWith("CLUSTERDOWN");
        }
    }

    @Test
    void closeStopsEveryProcessByPidAndIsIdempotent() {
        RedisClusterTopology redis = RedisClusterTopology.builder().replicas(0).start();
        List<Long> pids = redis.nodes().stream().map(RedisServer::pid).toList();
        List<Integer> ports = redis.nodes().stream().map(RedisServer::port).toList();
        assertThat(pids).hasSize(3).allMatch(Processes::isAlive);

        redis.close();
        redis.close();

        assertThat(pids).noneMatch(Processes::isAlive);
        assertThat(ports).noneMatch(FreePorts::isAccepting);
    }

    @Test
    void builderStatesTheRuleAndTheValue() {
        assertThatThrownBy(() -> RedisClusterTopology.builder().masters(2))
                .hasMessage("masters must be 3 to 8, got 2");
        assertThatThrownBy(() -> RedisClusterTopology.builder().replicas(5))
                .hasMessage("replicas must be 0 to 4, got 5");
        assertThatThrownBy(() -> RedisClusterTopology.builder().nodeTimeout(Duration.ofMillis(50)))
                .hasMessage("nodeTimeout must be whole milliseconds, at least 100 ms, got PT0.05S");
        assertThatThrownBy(() -> RedisClusterTopology.builder().password("one").password("two"))
                .hasMessage("password was already set to ***");
    }

    private static int replicaOf(RedisClusterTopology redis, int master) {
        return redis.replicas().stream().map(RedisServer::port)
                .filter(p -> Long.toString(master).equals(RedisReplies.infoFields(
                        redis.command(p, "INFO", "REPLICATION")).get("master_port")))
                .findFirst().orElseThrow();
    }

    /** GET on a replica: a cluster replica redirects reads to its master unless the connection sent READONLY. */
    private static Object readOnlyGet(int replica, String key) {
        try (RedisResp client = RedisResp.connect(replica, Duration.ofSeconds(2))) {
            client.call("READONLY");
            return client.call("GET", key);
        }
    }
}
