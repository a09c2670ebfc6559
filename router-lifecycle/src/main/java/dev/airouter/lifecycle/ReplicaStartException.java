package dev.airouter.lifecycle;

import java.util.List;

/**
 * Replicas of a {@link ProcessPool} failed to start (at start, resize or replace): the message
 * names every failed replica with its exit code and last log lines; {@link #failures()} has the
 * individual exceptions and {@link #serving()} what serves now.
 */
public final class ReplicaStartException extends LifecycleException {
    private static final long serialVersionUID = 1L;
    private final transient List<LifecycleException> failures;
    private final transient List<Replica> serving;

    ReplicaStartException(String message, List<LifecycleException> failures, List<Replica> serving) {
        super(message, failures.isEmpty() ? null : failures.get(0));
        this.failures = List.copyOf(failures);
        this.serving = List.copyOf(serving);
    }

    /** @return why each failed replica failed (exit code and last lines, port in use, timeout …) */
    public List<LifecycleException> failures() {
        return failures;
    }

    /** @return the replicas serving after the failure (for a failed start: none) */
    public List<Replica> serving() {
        return serving;
    }
}
