package dev.airouter.backend;

import dev.airouter.session.SessionStoreConfig;
import dev.airouter.testing.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** Builders for tests: free ports, the repository's python-router, a private log directory. */
final class TestBackends {
    static final Path ROUTER_SOURCES = Path.of("../python-router");

    private TestBackends() {}

    /** Memory store, spawned router on a free port, logs in a temp dir, no shutdown hook. */
    static ChatBackend.Builder memory() {
        return memory(0, 0);
    }

    /** Memory store on the given ports. */
    static ChatBackend.Builder memory(int port, int routerPort) {
        return base(port, routerPort).storeConfig(memoryStore());
    }

    static SessionStoreConfig memoryStore() {
        return SessionStoreConfig.builder().redisUrl("none").build();
    }

    /** Everything but the store. */
    static ChatBackend.Builder base(int port, int routerPort) {
        return ChatBackend.builder()
                .port(port)
                .routerPort(routerPort)
                .routerDirectory(ROUTER_SOURCES)
                .logDir(tempDir())
                .shutdownHook(false);
    }

    /**
     * A router stand-in whose {@code POST /route} answers after {@code delayMillis}; copied out of the
     * test resources so that its path marks it for {@link dev.airouter.testing.NoLeftoverProcesses}.
     */
    static List<String> slowRouter(long delayMillis) {
        Path script = Fixtures.directory().resolve("slow_router.py");
        try (InputStream in = TestBackends.class.getResourceAsStream("slow_router.py")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.of(Fixtures.python(), script.toString(), Long.toString(delayMillis));
    }

    static Path tempDir() {
        try {
            return Files.createTempDirectory("airouter-backend-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
