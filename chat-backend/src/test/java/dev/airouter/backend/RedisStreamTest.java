package dev.airouter.backend;

import dev.airouter.session.SessionStoreConfig;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RedisExtension;
import dev.airouter.testing.RedisServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link StreamContract} with a real redis-server as the session store. */
@ExtendWith({RedisExtension.class, NoLeftoverProcesses.class})
class RedisStreamTest extends StreamContract {
    @BeforeAll
    static void start(RedisServer redis) throws InterruptedException {
        start(SessionStoreConfig.builder().redisUrl(redis.url()).build());
    }
}
