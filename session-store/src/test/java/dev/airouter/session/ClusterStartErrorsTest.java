package dev.airouter.session;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airouter.testing.FreePorts;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A {@code redis-cluster://} URL that cannot work is a clear error — at build time for what the URL
 * itself gets wrong, at open for what the cluster does — and never a fallback to memory.
 */
@ExtendWith(NoLeftoverProcesses.class)
class ClusterStartErrorsTest {
    @Test
    void aClusterThatDoesNotServeEverySlotIsAStartError() {
        // one cluster-enabled node that was never given a slot: cluster_state:fail
        try (RedisServer node = RedisServer.start("--cluster-enabled", "yes")) {
            SessionStoreConfig config = SessionStoreConfig.builder().redisUrl("redis-cluster://127.0.0.1:" + node.port())
                    .connectTimeout(TestTimeouts.CONNECT).build();
            assertThatThrownBy(() -> SessionStores.open(config).close()).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("the cluster is not serving every slot (cluster_state:fail, 0 of 16384 slots"
                            + " assigned");
        }
    }

    @Test
    void unreachableSeedsAreAStartErrorNamingEachNotAFallbackToMemory() {
        int a = FreePorts.next();
        int b = FreePorts.next();
        SessionStoreConfig config = SessionStoreConfig.builder()
                .redisUrl("redis-cluster://secret-pw@127.0.0.1:" + a + ",127.0.0.1:" + b).build();
        assertThatThrownBy(() -> SessionStores.open(config).close()).isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("no seed node answered").hasMessageContaining("Connection refused")
                .hasMessageContaining("redis-cluster://***@").hasMessageNotContaining("secret-pw");
    }

    @Test
    void aDatabaseOtherThanZeroABadSeedAndABraceInTheKeyPrefixAreRefusedAtBuild() {
        assertThatThrownBy(() -> SessionStoreConfig.builder().redisUrl("redis-cluster://127.0.0.1:7000,127.0.0.1:7001/1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("names database 1: a Redis Cluster has database 0 only");
        assertThatThrownBy(() -> SessionStoreConfig.builder().redisUrl("redis-cluster://127.0.0.1:70000"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad seed node '127.0.0.1:70000'");
        assertThatThrownBy(() -> SessionStoreConfig.builder().redisUrl("redis-cluster://127.0.0.1:7000")
                .keyPrefix("app:{tenant}:").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without spaces or braces");
    }
}
