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
    static BackendConfig.Builder memory() {
        return memory(0, 0);
    }

    /** Memory store on the given ports. */
    static BackendConfig.Builder memory(int port, int routerPort) {
        return base(port, routerPort).storeConfig(memoryStore());
    }

    static SessionStoreConfig memoryStore() {
        return SessionStoreConfig.builder().redisUrl("none").build();
    }

    static SessionStoreConfig memoryStore(int historyLimit) {
        return SessionStoreConfig.builder().redisUrl("none").historyLimit(historyLimit).build();
    }

    /** Everything but the store. */
    static BackendConfig.Builder base(int port, int routerPort) {
        return BackendConfig.builder()
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
        return List.of(Fixtures.python(), script("slow_router.py").toString(), Long.toString(delayMillis));
    }

    /** {@link #slowRouter} of which only the first process started (counted in {@code counter}) is slow: one slow replica. */
    static List<String> oneSlowRouter(long delayMillis, Path counter) {
        return List.of(Fixtures.python(), script("slow_router.py").toString(), Long.toString(delayMillis),
                counter.toString());
    }

    /**
     * The first process started (counted in {@code counter}) dies on its first {@code POST /route}
     * before answering anything; every other one (the other replica, its restart) is the bundled router.
     */
    static List<String> oneCrashingRouter(Path counter) {
        return List.of(Fixtures.python(), script("crashing_router.py").toString(),
                ROUTER_SOURCES.toAbsolutePath().normalize().toString(), counter.toString());
    }

    /**
     * A router stand-in that advertises neither limits nor agents, refuses more than
     * {@code maxHistory} history messages and any agent but {@code echo} with a 400, and answers
     * {@code "<n> history messages"}.
     */
    static List<String> plainRouter(int maxHistory) {
        return List.of(Fixtures.python(), script("plain_router.py").toString(), Integer.toString(maxHistory));
    }

    /** {@link #plainRouter} whose {@code /health} answers 503 until {@code gate} exists. */
    static List<String> gatedRouter(Path gate) {
        return List.of(Fixtures.python(), script("plain_router.py").toString(), "500", gate.toString());
    }

    /**
     * The bundled router behind a start delay (a model load), which exits with code 3 at start while
     * {@code brokenMarker} exists, printing the marker's content: a new version that cannot start.
     */
    static List<String> reloadRouter(double startSeconds, Path brokenMarker) {
        return List.of(Fixtures.python(), script("reload_router.py").toString(),
                ROUTER_SOURCES.toAbsolutePath().normalize().toString(), Double.toString(startSeconds),
                brokenMarker.toString(), "--lifeline", "ppid");
    }

    /** The bundled router run as a custom command, with extra arguments (e.g. its limit flags). */
    static List<String> bundledRouter(String... args) {
        List<String> command = new java.util.ArrayList<>(List.of(Fixtures.python(), "-m", "ai_router", "--lifeline", "ppid"));
        command.addAll(List.of(args));
        return command;
    }

    private static Path script(String name) {
        Path script = Fixtures.directory().resolve(name);
        try (InputStream in = TestBackends.class.getResourceAsStream(name)) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return script;
    }

    static Path tempDir() {
        try {
            return Files.createTempDirectory("airouter-backend-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
