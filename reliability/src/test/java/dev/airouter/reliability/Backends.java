package dev.airouter.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airouter.backend.BackendConfig;
import dev.airouter.backend.ChatBackend;
import dev.airouter.session.SessionStoreConfig;
import dev.airouter.testing.HttpConnection;
import dev.airouter.testing.RawHttp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/** In-process backends on free ports with the repository's real router, and reads of their status. */
final class Backends {
    static final Path REPO = Path.of(System.getProperty("repo.root", "..")).toAbsolutePath().normalize();
    static final Path ROUTER_SOURCES = REPO.resolve("python-router");
    /** High enough that no soak or fault conversation is ever trimmed, so every message can be checked. */
    static final int HISTORY_LIMIT = 10_000;

    private Backends() {}

    /** Spawned router on a free port, logs in a temporary directory, no shutdown hook. */
    static BackendConfig.Builder base() {
        return BackendConfig.builder()
                .port(0)
                .routerPort(0)
                .routerDirectory(ROUTER_SOURCES)
                .logDir(tempDir("airouter-reliability-logs-"))
                .shutdownHook(false);
    }

    /** Builds and starts a backend. */
    static ChatBackend start(BackendConfig.Builder config) throws InterruptedException {
        return ChatBackend.create(config.build()).start();
    }

    static SessionStoreConfig redis(String url) {
        return SessionStoreConfig.builder().redisUrl(url).historyLimit(HISTORY_LIMIT).build();
    }

    /**
     * Redis with a 2 s command timeout instead of the default 500 ms. The default is a fail-fast
     * budget, and with other builds saturating this 2-core machine (load average 12) a loopback Redis
     * round trip has exceeded it, so the backend answered 503 "session store unavailable" as designed.
     * The soak and the fuzz look for lost messages, leaks and 5xx caused by requests, not for CPU
     * starvation, so they use this; the fault tests keep the default.
     */
    static SessionStoreConfig patientRedis(String url) {
        return SessionStoreConfig.builder().redisUrl(url).historyLimit(HISTORY_LIMIT)
                .commandTimeout(Duration.ofSeconds(2)).build();
    }

    static SessionStoreConfig memory() {
        return SessionStoreConfig.builder().redisUrl(SessionStoreConfig.NO_REDIS).historyLimit(HISTORY_LIMIT).build();
    }

    static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The JVM figures {@code GET /api/status} exposes under {@code backend.jvm}. */
    record Jvm(long heapUsedBytes, long liveThreads, long openFileDescriptors, int inFlight) {
        @Override
        public String toString() {
            return String.format("heap %.1f MiB, %d threads, %d fds", heapUsedBytes / 1048576.0, liveThreads,
                    openFileDescriptors);
        }
    }

    static Jvm status(URI backend) throws IOException {
        try (HttpConnection http = RawHttp.keepAlive(backend, Duration.ofSeconds(30))) {
            RawHttp.Response r = http.get("/api/status");
            JsonNode b = new ObjectMapper().readTree(r.body()).path("backend");
            JsonNode jvm = b.path("jvm");
            if (jvm.isMissingNode()) {
                throw new AssertionError("GET /api/status has no backend.jvm figures: " + r.text());
            }
            return new Jvm(jvm.path("heapUsedBytes").asLong(), jvm.path("liveThreads").asLong(),
                    jvm.path("openFileDescriptors").asLong(), b.path("inFlight").asInt());
        }
    }

    /**
     * The figures after a full GC, with nothing in flight but this request: the lowest heap of three
     * GC-then-read rounds (the backend runs in this JVM, so {@code System.gc()} reaches it).
     */
    static Jvm settled(URI backend) throws IOException {
        Jvm best = null;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Jvm now = status(backend);
            if (best == null || now.heapUsedBytes() < best.heapUsedBytes()) {
                best = now;
            }
        }
        return best;
    }

    /** Parks the calling thread for a deliberate span (an outage we cause, a pause we hold), not a wait for a condition. */
    static void hold(Duration span) {
        long end = System.nanoTime() + span.toNanos();
        for (long left = span.toNanos(); left > 0; left = end - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }
}
