package dev.airouter.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.airouter.backend.ChatBackend;
import dev.airouter.session.SessionStoreConfig;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RedisSentinelTopology;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Chat load through two backends (each with its own router) on one Redis Sentinel setup — 1 master, 1
 * replica, 3 sentinels — while the master is killed with SIGKILL: chat answers 200 again after the
 * promotion without restarting any backend; every non-200 answer is a 503; with {@code replicaAcks 1}
 * every message that got a 200 is in the history afterwards, once and in order. Without {@code
 * replicaAcks} the run reports how many acknowledged messages the failover lost (asynchronous
 * replication may lose the last moments' writes) and checks nothing was duplicated.
 *
 * <p>With {@code replicaAcks 1} and this one replica, the promoted replica has no replica left, so chat
 * answers 503 until the killed node is back as a replica: the test restarts it (as a machine that comes
 * back would be) right after the promotion. With two replicas chat resumes at the promotion (the store
 * test {@code SentinelFailoverTest} shows it).
 */
@ExtendWith(NoLeftoverProcesses.class)
class SentinelFailoverChatTest {
    static final int CLIENTS_PER_BACKEND = 4;
    static final double RATE = 15;
    static final Duration FAILOVER_DEADLINE = Duration.ofSeconds(90);

    private final long seed = Long.getLong("faults.seed", System.nanoTime());

    @Test
    void withReplicaAcksAMasterKilledUnderLoadLosesNoAcknowledgedMessage() throws Exception {
        Result r = run(1);
        assertThat(r.problems()).as("every acknowledged message exactly once, in order").isEmpty();
    }

    @Test
    void withoutReplicaAcksAMasterKilledUnderLoadDuplicatesNothingAndReportsWhatWasLost() throws Exception {
        Result r = run(0);
        List<String> notLosses = r.problems().stream()
                .filter(p -> !p.contains(" is stored 0 times") && !p.contains(" recall questions stored, ")
                        && !p.contains(": order ")) // an order that differs only by what was lost
                .toList();
        assertThat(notLosses).as("problems other than acknowledged messages the failover lost").isEmpty();
    }

    record Result(List<String> problems) {}

    private Result run(int replicaAcks) throws Exception {
        String name = "sentinel kill -9, replicaAcks " + replicaAcks;
        System.out.printf("[faults] %s: seed %d%n", name, seed);
        try (RedisSentinelTopology redis = RedisSentinelTopology.start()) {
            SessionStoreConfig store = SessionStoreConfig.builder().redisUrl(redis.url())
                    .historyLimit(Backends.HISTORY_LIMIT).commandTimeout(Duration.ofSeconds(2))
                    .connectTimeout(Duration.ofSeconds(10)).replicaAcks(replicaAcks, Duration.ofSeconds(1)).build();
            Ledger ledger = new Ledger();
            Figures figures = new Figures(true);
            try (ChatBackend a = Backends.start(Backends.base().storeConfig(store));
                    ChatBackend b = Backends.start(Backends.base().storeConfig(store))) {
                URI url = a.url();
                long fault;
                long promoted;
                long rejoined;
                int newMaster;
                int old;
                try (ChatLoad first = new ChatLoad("sentinel-a", a.url(), ledger, figures, ChatLoad.Mix.faults(503),
                        CLIENTS_PER_BACKEND, RATE, seed);
                        ChatLoad second = new ChatLoad("sentinel-b", b.url(), ledger, figures, ChatLoad.Mix.faults(503),
                                CLIENTS_PER_BACKEND, RATE, seed + 1)) {
                    first.start();
                    second.start();
                    await().atMost(Duration.ofSeconds(60)).until(() -> figures.chatOkCount() >= 100);
                    fault = System.nanoTime();
                    old = redis.killMaster();
                    newMaster = redis.awaitFailover(old, FAILOVER_DEADLINE);
                    promoted = System.nanoTime();
                    if (replicaAcks > 0) {
                        redis.restart(old); // comes back as an empty master; sentinels turn it into a replica
                        redis.awaitReplica(old, FAILOVER_DEADLINE);
                        rejoined = System.nanoTime();
                    } else {
                        rejoined = promoted;
                    }
                    await().atMost(Duration.ofSeconds(60))
                            .until(() -> new Timeline(figures.timeline()).okStartedAfter(rejoined) >= 100);
                }
                Timeline timeline = new Timeline(figures.timeline());
                Timeline.Window during = timeline.window(fault, Long.MAX_VALUE);
                Ledger.Summary summary = ledger.verify(url);
                long lost = summary.problems().stream().filter(p -> p.contains(" is stored 0 times")).count();
                System.out.printf("[faults] %s: master %d killed, sentinels named %d after %.0f ms; answers from the kill"
                        + " on %s; old master back as a replica %.0f ms after the kill; last non-200 %.0f ms after the"
                        + " kill; %d acknowledged, %d refused, %d unanswered; acknowledged messages lost: %d%n", name, old,
                        newMaster, (promoted - fault) / 1e6, during.statuses(), (rejoined - fault) / 1e6,
                        during.outageMillisAfter(fault), summary.acked(),
                        summary.refused(), summary.unknown(), lost);
                summary.problems().stream().limit(10).forEach(p -> System.out.println("[faults]   " + p));

                assertThat(figures.unexpected()).as("answers other than 200/503").isEmpty();
                assertThat(during.statuses().keySet()).isSubsetOf(200, 503);
                // the new master is named; backends reconnect within about a second (their backoff), and a
                // request waits at most the command timeout: nothing fails 10 s after the promotion
                assertThat(timeline.badStartedAfter(rejoined + 10_000_000_000L))
                        .as("non-200 answers to requests started 10 s after the promotion (and the replica's return)")
                        .isZero();
                return new Result(summary.problems());
            }
        }
    }
}
