package dev.airouter.lifecycle;

import java.time.Instant;
import java.util.Objects;

/**
 * Something that happened to one replica of a {@link ProcessPool}.
 *
 * @param kind what happened
 * @param replica the replica right after it
 * @param cause a human-readable reason, e.g. {@code "exited with code 1"} or {@code "replaced by generation 3"}
 * @param time when it happened
 */
public record ReplicaEvent(Kind kind, Replica replica, String cause, Instant time) {
    /** What happened to a replica. */
    public enum Kind {
        /** It is being started; not serving yet. */
        ADDED,
        /** It serves: announced after it became ready, or ready again after a restart. */
        READY,
        /** It stopped serving unexpectedly (it exited, or failed for good). */
        DOWN,
        /** Supervision is restarting it. */
        RESTARTING,
        /** It gets no new work; it is drained, then stopped. */
        RETIRING,
        /** Its process tree is gone; it has left the pool. */
        GONE
    }

    /**
     * Validates the components.
     *
     * @throws NullPointerException if a component is null
     */
    public ReplicaEvent {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(replica, "replica");
        Objects.requireNonNull(cause, "cause");
        Objects.requireNonNull(time, "time");
    }
}
