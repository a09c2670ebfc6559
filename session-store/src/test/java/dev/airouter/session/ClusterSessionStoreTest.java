package dev.airouter.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.RedisClusterTopology;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract against a store on a real Redis Cluster (3 masters, 3 replicas, a password), plus what
 * is the cluster's own: every key of a session in one slot, sessions counted across all masters, the
 * client-side cache off, scripts loaded on the node that lacks them.
 */
class ClusterSessionStoreTest extends SessionStoreContract {
    private static final String PASSWORD = "s3cret-cluster";
    private static RedisClusterTopology redis;
    private final String prefix = "test:" + UUID.randomUUID() + ":";

    @BeforeAll
    static void startTopology() {
        redis = RedisClusterTopology.builder().password(PASSWORD).start();
    }

    @AfterAll
    static void stopTopology() {
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    SessionStoreConfig baseConfig() {
        return SessionStoreConfig.builder().redisUrl(redis.url()).keyPrefix(prefix)
                .connectTimeout(TestTimeouts.CONNECT).build();
    }

    @Override
    Duration shortTtl() {
        return Duration.ofMillis(1500);
    }

    @Override
    void elapse(SessionStore store, String id, Duration duration) {
        Duration target = shortTtl().minus(duration);
        await().atMost(duration.plusSeconds(3)).pollInterval(Duration.ofMillis(10))
                .until(() -> remainingTtl(store, id).compareTo(target) <= 0);
    }

    @Override
    void expire(SessionStore store, String id) {
        await().atMost(shortTtl().plusSeconds(3)).pollInterval(Duration.ofMillis(10)).until(() -> !store.exists(id));
    }

    @Override
    Duration remainingTtl(SessionStore store, String id) {
        String key = RedisKeys.of(prefix, id)[0];
        long millis = (Long) redis.command(redis.masterForKey(key), "PTTL", key);
        return Duration.ofMillis(Math.max(0, millis));
    }

    @Test
    void aSessionsKeysShareOneSlotSessionsAreCountedAcrossAllMastersAndTheCacheIsOff() {
        SessionStore store = newStore();
        java.util.Set<Integer> masters = new java.util.HashSet<>();
        for (int i = 0; i < 30; i++) {
            String id = newId();
            store.append(id, ChatMessage.user("hello " + i));
            String[] keys = RedisKeys.of(prefix, id);
            int owner = redis.masterForKey(keys[0]);
            masters.add(owner);
            for (String key : keys) {
                assertThat(redis.masterForKey(key)).as("the master of %s", key).isEqualTo(owner);
            }
        }
        assertThat(masters).as("30 sessions spread over the masters").hasSize(3);
        assertThat(store.stats().sessions()).isGreaterThanOrEqualTo(30);
        assertThat(((RedisSessionStore) store).clientCacheActive()).isFalse();
    }

    @Test
    void scriptsAreLoadedOnTheNodeThatLacksThem() {
        SessionStore store = newStore();
        String id = newId();
        store.append(id, ChatMessage.user("a"));
        for (dev.airouter.testing.RedisServer master : redis.masters()) {
            redis.command(master.port(), "SCRIPT", "FLUSH");
        }
        assertThat(store.append(id, ChatMessage.user("b"))).isEqualTo(2);
        assertThat(store.load(id, 1).orElseThrow().messages()).extracting(ChatMessage::content).containsExactly("b");
    }
}
