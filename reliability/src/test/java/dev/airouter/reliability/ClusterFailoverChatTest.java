package dev.airouter.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.airouter.backend.ChatBackend;
import dev.airouter.session.SessionStoreConfig;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RedisClusterTopology;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Chat load through two backends (each with its own router) on one Redis Cluster — 3 masters with a
 * replica each, {@code replicaAcks 1} — while one master is killed with SIGKILL, and while a replica
 * takes over with {@code CLUSTER FAILOVER}: chat answers 200 again without restarting anything, every
 * non-200 answer is a 503, and every message that got a 200 is in the history afterwards, once and in
 * order. After the kill the promoted replica has no replica until the killed node is back (the test
 * restarts it), so turns of sessions in its slots are refused until then; sessions in the other slots
 * are served throughout.
 */
@ExtendWith(NoLeftoverProcesses.class)
class ClusterFailoverChatTest {
    static final int CLIENTS_PER_BACKEND = 4;
    static final double RATE = 15;
    static final Duration DEADLINE = Duration.ofSeconds(90);

    private final long seed = Long.getLong("faults.seed", System.nanoTime());

    @Test
    void aMasterKilledUnderLoadLosesNoAcknowledgedMessage() throws Exception {
        run(true);
    }

    @Test
    void aManualFailoverUnderLoadLosesNoAcknowledgedMessage() throws Exception {
        run(false);
    }

    private void run(boolean kill) throws Exception {
        String name = kill ? "cluster kill -9" : "cluster CLUSTER FAILOVER";
        System.out.printf("[faults] %s: seed %d%n", name, seed);
        try (RedisClusterTopology redis = RedisClusterTopology.start()) {
            SessionStoreConfig store = SessionStoreConfig.builder().redisUrl(redis.url())
                    .historyLimit(Backends.HISTORY_LIMIT).commandTimeout(Duration.ofSeconds(2))
                    .connectTimeout(Duration.ofSeconds(10)).replicaAcks(1, Duration.ofSeconds(1)).build();
            Ledger ledger = new Ledger();
            Figures figures = new Figures(true);
            try (ChatBackend a = Backends.start(Backends.base().storeConfig(store));
                    ChatBackend b = Backends.start(Backends.base().storeConfig(store))) {
                long fault;
                long back;
                String what;
                try (ChatLoad first = new ChatLoad("cluster-a", a.url(), ledger, figures, ChatLoad.Mix.faults(503),
                        CLIENTS_PER_BACKEND, RATE, seed);
                        ChatLoad second = new ChatLoad("cluster-b", b.url(), ledger, figures, ChatLoad.Mix.faults(503),
                                CLIENTS_PER_BACKEND, RATE, seed + 1)) {
                    first.start();
                    second.start();
                    await().atMost(Duration.ofSeconds(60)).until(() -> figures.chatOkCount() >= 100);
                    fault = System.nanoTime();
                    if (kill) {
                        int old = redis.killMaster(redis.masters().get(0).port());
                        int promoted = redis.awaitFailover(old, DEADLINE);
                        redis.restart(old);
                        redis.awaitReplica(old, DEADLINE);
                        what = "master " + old + " killed, " + promoted + " promoted, old master back as a replica";
                    } else {
                        int replica = redis.replicas().get(0).port();
                        redis.failover(replica, DEADLINE);
                        what = "replica " + replica + " took over";
                    }
                    back = System.nanoTime();
                    await().atMost(Duration.ofSeconds(60))
                            .until(() -> new Timeline(figures.timeline()).okStartedAfter(back) >= 100);
                }
                Timeline timeline = new Timeline(figures.timeline());
                Timeline.Window during = timeline.window(fault, Long.MAX_VALUE);
                Ledger.Summary summary = ledger.verify(a.url());
                System.out.printf("[faults] %s: %s %.0f ms after the fault; answers from the fault on %s; last non-200"
                        + " %.0f ms after the fault; %d acknowledged, %d refused, %d unanswered%n", name, what,
                        (back - fault) / 1e6, during.statuses(), during.outageMillisAfter(fault), summary.acked(),
                        summary.refused(), summary.unknown());
                summary.problems().stream().limit(10).forEach(p -> System.out.println("[faults]   " + p));

                assertThat(figures.unexpected()).as("answers other than 200/503").isEmpty();
                assertThat(during.statuses().keySet()).isSubsetOf(200, 503);
                assertThat(timeline.badStartedAfter(back + 10_000_000_000L))
                        .as("non-200 answers to requests started 10 s after the cluster was whole again").isZero();
                assertThat(summary.problems()).as("every acknowledged message exactly once, in order").isEmpty();
            }
        }
    }
}
