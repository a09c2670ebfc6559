package dev.airouter.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RedisServer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Redis crashing, stalling and coming back while a store is open; each test owns its redis-server. */
@ExtendWith(NoLeftoverProcesses.class)
class RedisFaultTest {
    private RedisServer redis;
    private SessionStore store;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        store = SessionStores.redis(SessionStoreConfig.builder().redisUrl(redis.url())
                .connectTimeout(TestTimeouts.CONNECT).build());
    }

    @AfterEach
    void stop() throws IOException {
        store.close();
        redis.close();
    }

    @Test
    void killedRedisFailsEveryCallerFastWithStoreUnavailable() throws Exception {
        String id = SessionIds.random();
        store.append(id, ChatMessage.user("before"));
        redis.kill();

        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Throwable>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int n = i;
                calls.add(pool.submit(() -> {
                    try {
                        if (n % 2 == 0) {
                            store.append(id, ChatMessage.user("during " + n));
                        } else {
                            store.load(id);
                        }
                        return null;
                    } catch (RuntimeException e) {
                        return e;
                    }
                }));
            }
            for (Future<Throwable> call : calls) {
                // each call is bounded by the 500 ms command timeout; 3 s means nobody is stuck
                assertThat(call.get(3, TimeUnit.SECONDS)).isInstanceOf(StoreUnavailableException.class)
                        .hasMessageContaining(redis.url() + " unavailable");
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.ping()).isFalse();
        assertThat(store.backend()).isEqualTo("redis");
    }

    @Test
    void restartedRedisServesTheSameStoreAgain() {
        String id = SessionIds.random();
        store.append(id, ChatMessage.user("lost with the crash"));
        assertThat(store.reconnects()).as("reconnects before any fault").isZero();
        redis.kill();
        assertThatThrownBy(() -> store.load(id)).isInstanceOf(StoreUnavailableException.class);

        redis.restart();
        await().atMost(Duration.ofSeconds(5)).until(store::ping);
        assertThat(store.reconnects()).as("reconnects after a restart").isPositive();
        assertThat(store.append(id, ChatMessage.user("after restart"))).isEqualTo(1); // script reloaded
        assertThat(store.load(id).orElseThrow().messages()).extracting(ChatMessage::content)
                .containsExactly("after restart");
    }

    /**
     * A node turned into a replica behind the store's back ({@code REPLICAOF}, which kills no client
     * connection) answers writes with {@code READONLY}; Lettuce would stay connected and fail every write.
     * The store answers unavailable (503) and drops the connection, so that it reconnects — through the
     * sentinels to the new master on a Sentinel URL; here, to the same address, which serves writes again
     * once it is a master.
     */
    @Test
    void aReadonlyReplyIsUnavailableAndDropsTheConnectionSoThatItReconnects() {
        try (RedisServer other = RedisServer.start()) {
            String id = SessionIds.random();
            store.append(id, ChatMessage.user("before"));
            java.util.Set<String> before = storeConnections();
            redis.command("REPLICAOF", "127.0.0.1", Integer.toString(other.port()));
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() ->
                    assertThatThrownBy(() -> store.append(id, ChatMessage.user("refused")))
                            .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("READONLY"));
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                java.util.Set<String> now = storeConnections();
                return !now.isEmpty() && java.util.Collections.disjoint(now, before);
            });
            redis.command("REPLICAOF", "NO", "ONE");
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> store.append(id, ChatMessage.user("after")) > 0);
        }
    }

    /** The ids of the connections other than the one asking (the store's). */
    private java.util.Set<String> storeConnections() {
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (String line : String.valueOf(redis.command("CLIENT", "LIST", "TYPE", "normal")).split("\r?\n")) {
            if (!line.contains("cmd=client|list") && line.startsWith("id=")) {
                ids.add(line.substring(3, line.indexOf(' ')));
            }
        }
        return ids;
    }

    @Test
    void stalledRedisTimesOutWithinTheCommandTimeout() throws Exception {
        String id = SessionIds.random();
        store.append(id, ChatMessage.user("before"));
        signal("STOP", redis.pid());
        try {
            long start = System.nanoTime();
            assertThatThrownBy(() -> store.load(id)).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("no answer within 500 ms");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        } finally {
            signal("CONT", redis.pid());
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(store.load(id)).isPresent());
    }

    @Test
    void disconnectsDuringABurstKeepEveryAcknowledgedMessageExactlyOnce() throws Exception {
        SessionStore wide = SessionStores.redis(SessionStoreConfig.builder().redisUrl(redis.url())
                .connectTimeout(TestTimeouts.CONNECT).historyLimit(10_000).build());
        try {
            DisconnectBurst burst = new DisconnectBurst(wide, redis, SessionIds.random(), 4, 250);
            burst.run(5);
            burst.assertEveryMessageExactlyOnce();
            assertThat(burst.failures()).as("appends that failed during a disconnect and were retried")
                    .isGreaterThan(0);
        } finally {
            wide.close();
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }
}
