package dev.airouter.backend;

import dev.airouter.lifecycle.ProcessListener;
import dev.airouter.lifecycle.ProcessState;
import dev.airouter.lifecycle.ProcessStatus;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A router at a URL this backend does not manage: checked once at start ({@code GET /health} must
 * answer 2xx), never spawned, restarted or stopped. After a refused connection, requests within the
 * next 500 ms are answered 503 at once without trying; then the next request probes again.
 */
final class ExternalRouter implements RouterHandle {
    private static final long QUIET_NANOS = Duration.ofMillis(500).toNanos();

    private final HttpUrl base;
    private final Path logFile;
    private final Instant startedAt = Instant.now();
    private volatile long refusedAt;
    private volatile boolean refused;

    ExternalRouter(HttpUrl base, Path logFile) {
        this.base = base;
        this.logFile = logFile;
    }

    @Override
    public void start() {
        HttpUrl health = base.newBuilder().encodedPath("/health").build();
        OkHttpClient client = new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(3)).build();
        try (Response response = client.newCall(new Request.Builder().url(health).build()).execute()) {
            if (!response.isSuccessful()) {
                throw new BackendException("the external router at " + base + " answered GET /health with HTTP "
                        + response.code() + "; expected 2xx. Check routerUrl, or let the backend spawn the router");
            }
        } catch (IOException e) {
            throw new BackendException("the external router at " + base + " does not answer GET /health ("
                    + e.getMessage() + "); start it first, check routerUrl, or let the backend spawn the router", e);
        } finally {
            client.connectionPool().evictAll();
        }
    }

    @Override
    public URI url() {
        return base.uri();
    }

    @Override
    public ProcessStatus status() {
        return new ProcessStatus("ai-router", ProcessState.ADOPTED, OptionalLong.empty(), false,
                Optional.of(startedAt), Optional.of(Duration.between(startedAt, Instant.now())), 0,
                OptionalInt.empty(), Optional.empty(), Optional.of(base.newBuilder().encodedPath("/health").build().uri()),
                logFile);
    }

    boolean isReachable() {
        return !refused;
    }

    @Override
    public void checkAvailable() {
        if (refused && System.nanoTime() - refusedAt < QUIET_NANOS) {
            throw ApiError.unavailable("router unavailable", "the external router at " + base
                    + " refused a connection moments ago; retry in a moment");
        }
    }

    @Override
    public void connectFailed() {
        refusedAt = System.nanoTime();
        refused = true;
    }

    @Override
    public void connected() {
        refused = false;
    }

    @Override
    public void addListener(ProcessListener listener) {
        // an external router has no lifecycle events
    }

    @Override
    public void close() {
        // never ours to stop
    }
}
