package dev.airouter.lifecycle;

import java.time.Instant;
import java.util.Objects;

/**
 * One state transition of a {@link ManagedProcess}.
 *
 * @param name the process name from its configuration
 * @param previous the state before the transition
 * @param state the state after it
 * @param cause a human-readable reason, e.g. {@code "exited with code 1"} or {@code "stop requested"}
 * @param time when it happened
 * @param status the full status right after the transition
 */
public record ProcessEvent(
        String name, ProcessState previous, ProcessState state, String cause, Instant time, ProcessStatus status) {

    /**
     * Validates the components.
     *
     * @throws NullPointerException if any component is null
     */
    public ProcessEvent {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(previous, "previous");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(cause, "cause");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(status, "status");
    }
}
