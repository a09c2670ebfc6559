package dev.airouter.lifecycle;

/** The states a {@link ManagedProcess} moves through. */
public enum ProcessState {
    /** Nothing running (initial state, and after {@code stop()} or a clean exit). */
    STOPPED,
    /** Spawned; waiting for readiness. */
    STARTING,
    /** Spawned by us, ready, supervised. */
    RUNNING,
    /** Found already healthy and adopted; not owned, so not stopped unless configured. */
    ADOPTED,
    /** Exited unexpectedly (or failed its liveness probe); a restart is scheduled or under way. */
    RESTARTING,
    /** {@code stop()} is terminating the process tree. */
    STOPPING,
    /** Gave up: failed to start, crashed with restarts exhausted, or its port was taken. */
    FAILED
}
