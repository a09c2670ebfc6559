package dev.airouter.lifecycle;

import java.time.Duration;

/**
 * Restart a running process after {@code failureThreshold} failed health checks in a row, one
 * check every {@code interval} (each check times out after the interval). This catches a hung
 * process (deadlocked, or stopped with SIGSTOP) that a crash-only supervisor never notices. A hung
 * process does not react to SIGTERM, so a liveness restart kills the tree with SIGKILL.
 *
 * @param interval time between checks, positive
 * @param failureThreshold failed checks in a row that trigger a restart, at least 1
 */
public record LivenessProbe(Duration interval, int failureThreshold) {

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if the interval is not positive or the threshold below 1
     */
    public LivenessProbe {
        Durations.positive("livenessProbe interval", interval);
        if (failureThreshold < 1) {
            throw new IllegalArgumentException("livenessProbe failureThreshold must be >= 1, was " + failureThreshold);
        }
    }

    /**
     * @param interval time between checks
     * @param failureThreshold failed checks in a row that trigger a restart
     * @return the probe
     */
    public static LivenessProbe of(Duration interval, int failureThreshold) {
        return new LivenessProbe(interval, failureThreshold);
    }
}
