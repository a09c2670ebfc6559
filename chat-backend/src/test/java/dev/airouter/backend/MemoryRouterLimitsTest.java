package dev.airouter.backend;

import dev.airouter.session.SessionStoreConfig;

/** {@link RouterLimitsContract} with the in-memory store. */
class MemoryRouterLimitsTest extends RouterLimitsContract {
    @Override
    SessionStoreConfig store(int historyLimit) {
        return SessionStoreConfig.builder().redisUrl("none").historyLimit(historyLimit).build();
    }
}
