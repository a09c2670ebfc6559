package dev.airouter.lifecycle;

import java.net.URI;
import java.util.Objects;

/**
 * A snapshot of one replica of a {@link ProcessPool}.
 *
 * <p>During a replacement two replicas can share an index: the predecessor (older generation,
 * {@code retiring} once its successor serves) and its successor. A replica takes new work only while
 * {@link #isReady()}.
 *
 * @param index the replica's slot in the pool, from 0
 * @param generation the pool generation it was started in (1, then bumped by every replace)
 * @param port its port
 * @param url its base URL, {@code scheme://host:port} of the health check (or {@code http://127.0.0.1:port})
 * @param status the status of its process (state, pid, restarts, log file …)
 * @param announced whether the pool has announced it as serving (after it was ready; see {@link ProcessPool})
 * @param retiring whether it is being drained and stopped (it must get no new work)
 */
public record Replica(int index, long generation, int port, URI url, ProcessStatus status, boolean announced,
        boolean retiring) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is null
     */
    public Replica {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(status, "status");
    }

    /** @return whether it takes new work: announced, running and not retiring */
    public boolean isReady() {
        return announced && !retiring && status.state() == ProcessState.RUNNING;
    }

    /** @return its state */
    public ProcessState state() {
        return status.state();
    }
}
