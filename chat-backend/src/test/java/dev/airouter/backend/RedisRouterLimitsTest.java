package dev.airouter.backend;

import dev.airouter.session.SessionStoreConfig;
import dev.airouter.testing.RedisExtension;
import dev.airouter.testing.RedisServer;
import java.time.Duration;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link RouterLimitsContract} with a real redis-server as the store. */
@ExtendWith(RedisExtension.class)
class RedisRouterLimitsTest extends RouterLimitsContract {
    private final RedisServer redis;

    RedisRouterLimitsTest(RedisServer redis) {
        this.redis = redis;
    }

    @Override
    SessionStoreConfig store(int historyLimit) {
        // a loaded 2-core machine can push a round trip past the 500 ms fail-fast default: not the subject here
        return SessionStoreConfig.builder().redisUrl(redis.url()).historyLimit(historyLimit)
                .commandTimeout(Duration.ofSeconds(5)).build();
    }
}
