package dev.airouter.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoLeftoverProcesses.class)
class RedisSentinelTopologyTest {
    private static final Duration FAILOVER_DEADLINE = Duration.ofSeconds(60);

    @Test
    void killedMasterFailsOverWithTwoOfThreeSentinelsAndComesBackAsAReplicaOfTheNewOne() {
        long started = System.nanoTime();
        try (RedisSentinelTopology redis = RedisSentinelTopology.start()) {
            System.out.printf("sentinel topology (1 master, 1 replica, 3 sentinels) ready in %d ms%n",
                    Duration.ofNanos(System.nanoTime() - started).toMillis());
            assertThat(redis.url()).isEqualTo("redis-sentinel://127.0.0.1:" + redis.sentinelPorts().get(0)
                    + ",127.0.0.1:" + redis.sentinelPorts().get(1) + ",127.0.0.1:" + redis.sentinelPorts().get(2)
                    + "/0#mymaster");
            int old = redis.masterPort();
            assertThat(old).isEqualTo(redis.nodes().get(0).port());
            int replica = redis.replicas().get(0).port();
            redis.command(old, "SET", "before", "1");
            await().atMost(Duration.ofSeconds(10)).until(() -> "1".equals(redis.command(replica, "GET", "before")));

            RedisServer sentinel = redis.sentinels().get(0);
            sentinel.kill(); // two of three still make the quorum and a majority
            assertThat(redis.killMaster()).isEqualTo(old);
            long killed = System.nanoTime();
            int promoted = redis.awaitFailover(old, FAILOVER_DEADLINE);
            System.out.printf("failover after SIGKILL of the master (down-after %d ms): %d ms%n",
                    RedisSentinelTopology.DEFAULT_DOWN_AFTER.toMillis(), Duration.ofNanos(System.nanoTime() - killed).toMillis());

            assertThat(promoted).isEqualTo(replica);
            assertThat(redis.masterPort()).isEqualTo(promoted);
            assertThat(redis.command(promoted, "GET", "before")).isEqualTo("1");
            assertThat(redis.command(promoted, "SET", "after", "2")).isEqualTo("OK");

            sentinel.restart();
            redis.awaitFailover(old, FAILOVER_DEADLINE); // the restarted sentinel learns the new master too
            redis.restart(old);
            long restarted = System.nanoTime();
            redis.awaitReplica(old, FAILOVER_DEADLINE);
            System.out.printf("restarted old master settled as a replica after %d ms%n",
                    Duration.ofNanos(System.nanoTime() - restarted).toMillis());
            assertThat(redis.command(old, "GET", "after")).isEqualTo("2");
            assertThatThrownBy(() -> redis.command(old, "SET", "k", "v")).hasMessageStartingWith("READONLY");
        }
    }

    @Test
    void passwordGuardsTheDataNodesAndManualFailoverStillWorks() {
        try (RedisSentinelTopology redis = RedisSentinelTopology.builder().password("s3cret").replicas(2).start()) {
            assertThat(redis.url()).startsWith("redis-sentinel://s3cret@127.0.0.1:").endsWith("/0#mymaster");
            assertThat(redis.toString()).contains("redis-sentinel://***@").doesNotContain("s3cret");
            int old = redis.masterPort();
            assertThatThrownBy(() -> redis.nodes().get(0).command("GET", "k")).hasMessageStartingWith("NOAUTH");
            assertThat(redis.command(redis.sentinelPorts().get(0), "PING")).isEqualTo("PONG"); // sentinels need none

            long asked = System.nanoTime();
            int promoted = redis.failover(FAILOVER_DEADLINE);
            System.out.printf("manual failover (SENTINEL FAILOVER): %d ms%n",
                    Duration.ofNanos(System.nanoTime() - asked).toMillis());
            assertThat(promoted).isNotEqualTo(old);
            assertThat(redis.command(promoted, "SET", "k", "v")).isEqualTo("OK");
            for (RedisServer replica : redis.replicas()) {
                redis.awaitReplica(replica.port(), FAILOVER_DEADLINE);
                await().atMost(Duration.ofSeconds(10)).until(() -> "v".equals(redis.command(replica.port(), "GET", "k")));
            }
        }
    }

    @Test
    void closeStopsEveryProcessByPidAndIsIdempotent() {
        RedisSentinelTopology redis = RedisSentinelTopology.start();
        List<Long> pids = new ArrayList<>();
        redis.nodes().forEach(n -> pids.add(n.pid()));
        redis.sentinels().forEach(s -> pids.add(s.pid()));
        assertThat(pids).hasSize(5).allMatch(Processes::isAlive);

        redis.close();
        redis.close();

        assertThat(pids).noneMatch(Processes::isAlive);
        assertThat(redis.sentinelPorts()).noneMatch(FreePorts::isAccepting);
    }

    @Test
    void builderStatesTheRuleAndTheValue() {
        assertThatThrownBy(() -> RedisSentinelTopology.builder().replicas(9))
                .hasMessage("replicas must be 0 to 8, got 9");
        assertThatThrownBy(() -> RedisSentinelTopology.builder().downAfter(Duration.ofMillis(50)))
                .hasMessage("downAfter must be whole milliseconds, at least 100 ms, got PT0.05S");
        assertThatThrownBy(() -> RedisSentinelTopology.builder().password("a b"))
                .hasMessage("password must be 1 or more letters, digits and . _ ~ - (it goes into a URL unescaped),"
                        + " got 3 characters");
        assertThatThrownBy(() -> RedisSentinelTopology.builder().password("one").password("two"))
                .hasMessage("password was already set to ***");
        assertThatThrownBy(() -> RedisSentinelTopology.builder().masterName("my master"))
                .hasMessageContaining("got \"my master\"");
    }
}
