package dev.airouter.backend;

import dev.airouter.lifecycle.ReplicaListener;
import dev.airouter.lifecycle.ProcessState;
import dev.airouter.lifecycle.ProcessStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * A router at a URL this backend does not manage: checked at start ({@code GET /health} must answer
 * 2xx; the limits and agents it may advertise there are read from that answer, and read again —
 * at most once a second — when it refuses a request or is asked for an agent it did not list, since
 * it may have restarted with other limits unseen), never spawned, restarted or stopped. After a failed connection, chat requests within the
 * next 500 ms are answered 503 at once without trying; then the next request tries again. Health
 * reports probe {@code GET /health} (1 s timeout) while the router is marked down.
 */
final class ExternalRouter implements RouterHandle {
    private static final long QUIET_NANOS = Duration.ofMillis(500).toNanos();

    private final HttpUrl base;
    private final HttpUrl health;
    private final OkHttpClient probes;
    private final RouterInfo.Tracker info;
    private final Path logFile;
    private final Instant startedAt = Instant.now();
    private static final long REFRESH_NANOS = Duration.ofSeconds(1).toNanos();
    private final AtomicLong refreshedAt = new AtomicLong(System.nanoTime() - REFRESH_NANOS);
    private final Slot slot;
    private volatile long refusedAt;
    private volatile boolean refused;

    /**
     * @param http the backend's base client; probes derive theirs from it
     */
    ExternalRouter(OkHttpClient http, HttpUrl base, RouterInfo.Tracker info, Path logFile) {
        this.base = base;
        this.health = base.newBuilder().encodedPath("/health").build();
        this.probes = http.newBuilder().callTimeout(Duration.ofSeconds(1)).build();
        this.info = info;
        this.logFile = logFile;
        this.slot = new Slot(0, 1, base.uri(), info, () -> { });
    }

    @Override
    public void start() {
        OkHttpClient patient = probes.newBuilder().callTimeout(Duration.ofSeconds(5)).build();
        try (Response response = patient.newCall(new Request.Builder().url(health).build()).execute()) {
            if (!response.isSuccessful()) {
                throw new BackendException("the external router at " + base + " answered GET /health with HTTP "
                        + response.code() + "; expected 2xx. Check routerUrl, or let the backend spawn the router");
            }
            info.update(response.body().string());
        } catch (IOException e) {
            throw new BackendException("the external router at " + base + " does not answer GET /health ("
                    + e.getMessage() + "); start it first, check routerUrl, or let the backend spawn the router", e);
        }
    }

    @Override
    public RouterInfo info() {
        return info.current();
    }

    @Override
    public RouterInfo refreshInfo(Slot ignored) {
        long last = refreshedAt.get();
        long now = System.nanoTime();
        if (now - last >= REFRESH_NANOS && refreshedAt.compareAndSet(last, now)) {
            try (Response response = probes.newCall(new Request.Builder().url(health).build()).execute()) {
                if (response.isSuccessful()) {
                    info.update(response.body().string());
                }
            } catch (IOException e) {
                // unreachable now: what was known stays; chat calls report the outage themselves
            }
        }
        return info.current();
    }

    @Override
    public RouterStatus status() {
        ProcessStatus process = new ProcessStatus("ai-router", ProcessState.ADOPTED, OptionalLong.empty(), false,
                Optional.of(startedAt), Optional.of(Duration.between(startedAt, Instant.now())), 0,
                OptionalInt.empty(), Optional.empty(), Optional.of(health.uri()),
                logFile);
        return RouterStatus.of(false, 1, List.of(new RouterStatus.ReplicaStatus(0, 1, base.uri(), process, isReachable(),
                slot.inFlight())));
    }

    /** Whether the router answers: known good, or a probe of {@code /health} succeeds now. */
    boolean isReachable() {
        if (!refused) {
            return true;
        }
        try (Response response = probes.newCall(new Request.Builder().url(health).build()).execute()) {
            if (response.isSuccessful()) {
                refused = false;
                info.update(response.body().string());
            }
        } catch (IOException e) {
            connectionFailed();
        }
        return !refused;
    }

    @Override
    public Slot acquire(Slot exclude) {
        if (exclude == slot) {
            throw ApiError.unavailable("router unavailable", "the connection to the external router at " + base
                    + " failed; it may be restarting, retry in a moment");
        }
        if (refused && System.nanoTime() - refusedAt < QUIET_NANOS) {
            throw ApiError.unavailable("router unavailable", "the external router at " + base
                    + " refused a connection moments ago; retry in a moment");
        }
        slot.begin();
        return slot;
    }

    @Override
    public void release(Slot s, boolean reached) {
        if (reached) {
            refused = false;
        } else {
            connectionFailed();
        }
        s.end();
    }

    private void connectionFailed() {
        refusedAt = System.nanoTime();
        refused = true;
    }

    @Override
    public ReloadResult reload() {
        throw new IllegalStateException(reloadRefusal().orElseThrow());
    }

    @Override
    public java.util.Optional<String> reloadRefusal() {
        return java.util.Optional.of("nothing to reload: the router runs elsewhere (routerUrl), so it is not this"
                + " backend's to reload");
    }

    @Override
    public void addListener(ReplicaListener listener) {
        // an external router has no lifecycle events
    }

    @Override
    public void close() {
        // the router itself is never ours to stop; the connection pool is the base client's
    }
}
