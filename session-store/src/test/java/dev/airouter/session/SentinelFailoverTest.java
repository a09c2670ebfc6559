package dev.airouter.session;

import static org.awaitility.Awaitility.await;

import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RedisSentinelTopology;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A store on Sentinel under concurrent appends while the master fails over — killed with SIGKILL, or
 * demoted by a manual {@code SENTINEL FAILOVER} — reaches the new master by itself (no new store, no
 * restart), and with {@code replicaAcks 1} every append that returned is in the history afterwards,
 * once, in order. Each writer appends numbered messages to its own session and records which returned.
 *
 * <p>The kill runs with two replicas: with {@code replicaAcks 1} and a single replica, the promoted
 * replica has no replica of its own, so every append is refused (503) until the killed node is back as
 * a replica — which the chat-level test in {@code reliability/} shows.
 */
@ExtendWith(NoLeftoverProcesses.class)
class SentinelFailoverTest {
    private static final int WRITERS = 4;
    private static final Duration FAILOVER_DEADLINE = Duration.ofSeconds(90);

    @Test
    void afterTheMasterIsKilledTheStoreReachesThePromotedReplicaByItselfAndLosesNoAcknowledgedAppend() throws Exception {
        try (RedisSentinelTopology redis = RedisSentinelTopology.builder().replicas(2).start()) {
            run(redis, true);
        }
    }

    @Test
    void afterAManualFailoverTheStoreFollowsTheNewMasterAndLosesNoAcknowledgedAppend() throws Exception {
        try (RedisSentinelTopology redis = RedisSentinelTopology.start()) {
            run(redis, false);
        }
    }

    /**
     * After {@code SENTINEL FAILOVER} the old master stays up, accepting writes that are lost when
     * sentinels turn it into a replica some 10 s later; the store must move to the new master as soon
     * as a sentinel announces the switch, not when its connection is killed then.
     */
    @Test
    void afterAManualFailoverAppendsReachTheNewMasterWithinSecondsNotAtTheOldOnesConversion() throws Exception {
        try (RedisSentinelTopology redis = RedisSentinelTopology.start();
                SessionStore store = SessionStores.open(SessionStoreConfig.builder().redisUrl(redis.url())
                        .connectTimeout(TestTimeouts.CONNECT).build())) {
            String id = "switch-" + System.nanoTime();
            store.append(id, ChatMessage.user("before"));
            int promoted = redis.failover(FAILOVER_DEADLINE);
            long switched = System.nanoTime();
            String key = RedisKeys.of("airouter:session:", id)[1];
            AtomicInteger n = new AtomicInteger();
            await().atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(20)).ignoreExceptions().until(() -> {
                String text = "after " + n.incrementAndGet();
                store.append(id, ChatMessage.user(text));
                return String.valueOf(redis.command(promoted, "LRANGE", key, "-1", "-1")).contains(text);
            });
            System.out.printf("[sentinel] manual failover: appends on the new master %d %.0f ms after the sentinels"
                    + " agreed (%d attempts)%n", promoted, (System.nanoTime() - switched) / 1e6, n.get());
        }
    }

    private static void run(RedisSentinelTopology redis, boolean kill) throws Exception {
        SessionStoreConfig config = SessionStoreConfig.builder().redisUrl(redis.url()).historyLimit(100_000)
                .connectTimeout(TestTimeouts.CONNECT).commandTimeout(Duration.ofSeconds(2))
                .replicaAcks(1, Duration.ofSeconds(1)).build();
        try (SessionStore store = SessionStores.open(config); AppendLoad load = new AppendLoad(store, WRITERS, "failover")) {
            await().atMost(Duration.ofSeconds(30)).until(() -> load.acknowledged() >= 200);
            long start = System.nanoTime();
            int old = kill ? redis.killMaster() : redis.masterPort();
            int promoted = kill ? redis.awaitFailover(old, FAILOVER_DEADLINE) : redis.failover(FAILOVER_DEADLINE);
            double promotedAfter = (System.nanoTime() - start) / 1e6;
            load.recovered(200, Duration.ofSeconds(60), "the promotion to " + promoted);
            double recoveredAfter = (System.nanoTime() - start) / 1e6;
            load.verify();
            System.out.printf("[sentinel] %s of master %d: new master %d named after %.0f ms, 200 more appends by %.0f ms;"
                    + " %d appends acknowledged, %d refused as unavailable%n", kill ? "kill -9" : "manual failover", old,
                    promoted, promotedAfter, recoveredAfter, load.acknowledged(), load.refused());
        }
    }
}
