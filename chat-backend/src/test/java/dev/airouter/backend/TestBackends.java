package dev.airouter.backend;

import dev.airouter.session.SessionStoreConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builders for tests: free ports, the repository's python-router, a private log directory. */
final class TestBackends {
    static final Path ROUTER_SOURCES = Path.of("../python-router");

    private TestBackends() {}

    /** Memory store, spawned router on a free port, logs in a temp dir, no shutdown hook. */
    static ChatBackend.Builder memory() {
        return base().storeConfig(SessionStoreConfig.builder().redisUrl("none").build());
    }

    /** Everything but the store. */
    static ChatBackend.Builder base() {
        return ChatBackend.builder()
                .port(0)
                .routerPort(0)
                .routerDirectory(ROUTER_SOURCES)
                .logDir(tempDir())
                .shutdownHook(false);
    }

    static Path tempDir() {
        try {
            return Files.createTempDirectory("airouter-backend-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
