package dev.airouter.session;

import static org.awaitility.Awaitility.await;

import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RedisClusterTopology;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A store on a real Redis Cluster (3 masters, 1 replica each) under concurrent appends while one master
 * fails over — killed with SIGKILL, or replaced by {@code CLUSTER FAILOVER} — finds the slot's new
 * master by itself (topology refresh; no new store), and with {@code replicaAcks 1} every append that
 * returned is stored once and in order. After the kill the promoted replica has no replica of its own
 * until the killed node is back, so appends to its slots are refused until then.
 */
@ExtendWith(NoLeftoverProcesses.class)
class ClusterFailoverTest {
    private static final int WRITERS = 6;
    private static final Duration FAILOVER_DEADLINE = Duration.ofSeconds(90);

    @Test
    void afterAMasterIsKilledTheStoreFindsThePromotedReplicaAndLosesNoAcknowledgedAppend() throws Exception {
        try (RedisClusterTopology redis = RedisClusterTopology.start(); SessionStore store = open(redis);
                AppendLoad load = new AppendLoad(store, WRITERS, "cluster-kill")) {
            await().atMost(Duration.ofSeconds(30)).until(() -> load.acknowledged() >= 300);
            long start = System.nanoTime();
            int old = redis.killMaster(redis.masters().get(0).port());
            int promoted = redis.awaitFailover(old, FAILOVER_DEADLINE);
            double promotedAfter = (System.nanoTime() - start) / 1e6;
            redis.restart(old); // back as a replica of the promoted node, so that its slots can confirm writes again
            redis.awaitReplica(old, FAILOVER_DEADLINE);
            double rejoinedAfter = (System.nanoTime() - start) / 1e6;
            load.recovered(300, Duration.ofSeconds(60), "the old master's return as a replica");
            System.out.printf("[cluster] kill -9 of master %d: %d promoted after %.0f ms, old master back as a replica"
                    + " after %.0f ms, 300 more appends by %.0f ms; %d acknowledged, %d refused%n", old, promoted,
                    promotedAfter, rejoinedAfter, (System.nanoTime() - start) / 1e6, load.acknowledged(), load.refused());
            load.verify();
        }
    }

    @Test
    void afterAManualFailoverTheStoreFollowsAndLosesNoAcknowledgedAppend() throws Exception {
        try (RedisClusterTopology redis = RedisClusterTopology.start(); SessionStore store = open(redis);
                AppendLoad load = new AppendLoad(store, WRITERS, "cluster-manual")) {
            await().atMost(Duration.ofSeconds(30)).until(() -> load.acknowledged() >= 300);
            long start = System.nanoTime();
            int replica = redis.replicas().get(0).port();
            redis.failover(replica, FAILOVER_DEADLINE);
            double switchedAfter = (System.nanoTime() - start) / 1e6;
            load.recovered(300, Duration.ofSeconds(60), "the manual failover to " + replica);
            System.out.printf("[cluster] CLUSTER FAILOVER to %d: done after %.0f ms, 300 more appends by %.0f ms;"
                    + " %d acknowledged, %d refused%n", replica, switchedAfter, (System.nanoTime() - start) / 1e6,
                    load.acknowledged(), load.refused());
            load.verify();
        }
    }

    /**
     * {@code WAIT} must run on the link of the master that owns the session's slot: with the replica of
     * one master stopped, appends to that master's sessions fail as unavailable while appends to another
     * master's sessions are acknowledged (a {@code WAIT} sent to any other node would count that node's
     * replica and wrongly succeed).
     */
    @Test
    void replicaAcksWaitOnTheMasterThatOwnsTheSessionsSlot() throws Exception {
        try (RedisClusterTopology redis = RedisClusterTopology.start();
                SessionStore store = SessionStores.open(SessionStoreConfig.builder().redisUrl(redis.url())
                        .connectTimeout(TestTimeouts.CONNECT).commandTimeout(Duration.ofSeconds(2))
                        .replicaAcks(1, Duration.ofMillis(300)).build())) {
            String prefix = "airouter:session:";
            String stopped = "slot-a-" + System.nanoTime();
            int master = redis.masterForKey(RedisKeys.of(prefix, stopped)[0]);
            String other = null;
            for (int i = 0; other == null; i++) {
                String candidate = "slot-b-" + i;
                if (redis.masterForKey(RedisKeys.of(prefix, candidate)[0]) != master) {
                    other = candidate;
                }
            }
            store.append(stopped, ChatMessage.user("before"));
            dev.airouter.testing.RedisServer replica = null;
            for (dev.airouter.testing.RedisServer r : redis.replicas()) {
                if (String.valueOf(redis.command(r.port(), "INFO", "replication")).contains("master_port:" + master)) {
                    replica = r;
                }
            }
            org.assertj.core.api.Assertions.assertThat(replica).as("the replica of master " + master).isNotNull();
            signal("STOP", replica.pid());
            try {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.append(stopped, ChatMessage.user("x")))
                        .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("only 0 of 1 replica(s)");
                org.assertj.core.api.Assertions.assertThat(store.append(other, ChatMessage.user("y"))).isEqualTo(1);
            } finally {
                signal("CONT", replica.pid());
            }
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor();
    }

    private static SessionStore open(RedisClusterTopology redis) {
        return SessionStores.open(SessionStoreConfig.builder().redisUrl(redis.url()).historyLimit(100_000)
                .connectTimeout(TestTimeouts.CONNECT).commandTimeout(Duration.ofSeconds(2))
                .replicaAcks(1, Duration.ofSeconds(1)).build());
    }
}
