package dev.airouter.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.FreePorts;
import dev.airouter.testing.RedisSentinelTopology;
import dev.airouter.testing.RedisServer;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract against a store reached through Redis Sentinel (1 master, 1 replica, 3 sentinels, a
 * password on the data nodes), plus what is Sentinel's own: every listed sentinel is asked, not only
 * the first; a URL that cannot work is a clear error, never a fallback to memory; the client-side cache
 * stays off.
 */
class SentinelSessionStoreTest extends SessionStoreContract {
    private static final String PASSWORD = "s3cret-sentinel";
    private static RedisSentinelTopology redis;
    private final String prefix = "test:" + UUID.randomUUID() + ":";

    @BeforeAll
    static void startTopology() {
        redis = RedisSentinelTopology.builder().password(PASSWORD).start();
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
        long millis = (Long) redis.command(redis.masterPort(), "PTTL", RedisKeys.of(prefix, id)[0]);
        return Duration.ofMillis(Math.max(0, millis));
    }

    private String urlWith(String sentinelsPrefix, String master) {
        // redis-sentinel://pw@h:p,h:p,h:p/0#name -> the same with more sentinels in front and another name
        String url = redis.url();
        int at = url.indexOf('@');
        int hash = url.indexOf('#');
        return url.substring(0, at + 1) + sentinelsPrefix + url.substring(at + 1, hash + 1) + master;
    }

    @Test
    void sentinelsThatCannotAnswerAreSkippedUntilOneNamesTheMaster() {
        // first a closed port, then a plain Redis (no SENTINEL command), then the real sentinels
        try (RedisServer plain = RedisServer.start()) {
            String url = urlWith("127.0.0.1:" + FreePorts.next() + ",127.0.0.1:" + plain.port() + ",", redis.masterName());
            SessionStore store = newStore(b -> b.redisUrl(url));
            String id = newId();
            store.append(id, ChatMessage.user("through the third sentinel listed"));
            assertThat(store.load(id)).isPresent();
            assertThat(((RedisSessionStore) store).clientCacheActive()).as("no client-side cache on Sentinel").isFalse();
        }
    }

    @Test
    void anUnknownMasterNameIsAStartErrorNamingEachSentinelsAnswer() {
        SessionStoreConfig config = baseConfig().toBuilder().redisUrl(urlWith("", "nosuchmaster")).build();
        assertThatThrownBy(() -> SessionStores.open(config).close()).isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("no sentinel knows master 'nosuchmaster'")
                .hasMessageContaining("127.0.0.1:" + redis.sentinelPorts().get(0) + " knows no master named 'nosuchmaster'")
                .hasMessageNotContaining(PASSWORD);
    }

    @Test
    void aWrongPasswordIsAStartErrorThatDoesNotShowThePassword() {
        String url = redis.url().replace(PASSWORD + "@", "wrong-password@");
        SessionStoreConfig config = baseConfig().toBuilder().redisUrl(url).build();
        assertThatThrownBy(() -> SessionStores.open(config).close()).isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("WRONGPASS").hasMessageNotContaining("wrong-password")
                .hasMessageContaining("redis-sentinel://***@");
    }

    @Test
    void noReachableSentinelIsAStartErrorNotAFallbackToMemory() {
        String url = "redis-sentinel://127.0.0.1:" + FreePorts.next() + ",127.0.0.1:" + FreePorts.next() + "/0#mymaster";
        SessionStoreConfig config = baseConfig().toBuilder().redisUrl(url).build();
        assertThatThrownBy(() -> SessionStores.open(config).close()).isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("no sentinel reachable").hasMessageContaining("Connection refused")
                .hasMessageNotContaining("finishConnect");
    }

    @Test
    void aSentinelUrlWithoutAMasterNameIsRefusedWithTheExpectedForm() {
        assertThatThrownBy(() -> SessionStoreConfig.builder().redisUrl("redis-sentinel://127.0.0.1:26379/0"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("redis-sentinel://[password@]host1:26379,host2:26379/0#mastername");
    }
}
