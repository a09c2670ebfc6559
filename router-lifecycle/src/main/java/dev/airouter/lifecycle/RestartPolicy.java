package dev.airouter.lifecycle;

import java.time.Duration;
import java.util.Objects;

/**
 * When supervision restarts a process that exited on its own after it had been ready.
 *
 * <p>Restarts wait an exponential backoff (default 50 ms, doubling, at most 10 s) and are limited
 * to {@code maxRestarts} within a sliding {@code window} (default 5 in 60 s); past that the
 * process goes to {@link ProcessState#FAILED} with one log line saying why. Failures during
 * {@link ManagedProcess#ensureRunning()} are never retried: they are thrown at once. Immutable.
 */
public final class RestartPolicy {
    /** Which exits are restarted. */
    public enum Mode {
        /** Never restart. */
        NEVER,
        /** Restart after a non-zero exit code or death by a signal, and after a liveness failure. */
        ON_FAILURE,
        /** Restart after any exit, including exit code 0. */
        ALWAYS
    }

    private final Mode mode;
    private final int maxRestarts;
    private final Duration window;
    private final Duration initialBackoff;
    private final double multiplier;
    private final Duration maxBackoff;

    private RestartPolicy(Mode mode, int maxRestarts, Duration window, Duration initialBackoff,
            double multiplier, Duration maxBackoff) {
        this.mode = mode;
        this.maxRestarts = maxRestarts;
        this.window = window;
        this.initialBackoff = initialBackoff;
        this.multiplier = multiplier;
        this.maxBackoff = maxBackoff;
    }

    /** @return a policy that never restarts (the default) */
    public static RestartPolicy never() {
        return new RestartPolicy(Mode.NEVER, 0, Duration.ofSeconds(60), Duration.ofMillis(50), 2.0,
                Duration.ofSeconds(10));
    }

    /** @return restart after failures: at most 5 in 60 s, backoff 50 ms doubling up to 10 s */
    public static RestartPolicy onFailure() {
        return new RestartPolicy(Mode.ON_FAILURE, 5, Duration.ofSeconds(60), Duration.ofMillis(50), 2.0,
                Duration.ofSeconds(10));
    }

    /** @return restart after every exit: at most 5 in 60 s, backoff 50 ms doubling up to 10 s */
    public static RestartPolicy always() {
        return new RestartPolicy(Mode.ALWAYS, 5, Duration.ofSeconds(60), Duration.ofMillis(50), 2.0,
                Duration.ofSeconds(10));
    }

    /**
     * @param maxRestarts restarts allowed within the window, at least 1
     * @param window the sliding window, positive
     * @return a copy with this limit
     * @throws IllegalArgumentException on a value out of range
     */
    public RestartPolicy withMaxRestarts(int maxRestarts, Duration window) {
        if (maxRestarts < 1) {
            throw new IllegalArgumentException("restartPolicy maxRestarts must be >= 1, was " + maxRestarts);
        }
        return new RestartPolicy(mode, maxRestarts, Durations.positive("restartPolicy window", window),
                initialBackoff, multiplier, maxBackoff);
    }

    /**
     * @param initial delay before the first restart, not negative
     * @param multiplier growth factor per consecutive restart, at least 1
     * @param max the largest delay, at least {@code initial}
     * @return a copy with this backoff
     * @throws IllegalArgumentException on a value out of range
     */
    public RestartPolicy withBackoff(Duration initial, double multiplier, Duration max) {
        Durations.nonNegative("restartPolicy initial backoff", initial);
        Objects.requireNonNull(max, "max");
        if (!(multiplier >= 1.0)) {
            throw new IllegalArgumentException("restartPolicy backoff multiplier must be >= 1, was " + multiplier);
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("restartPolicy max backoff " + max + " is below the initial " + initial);
        }
        return new RestartPolicy(mode, maxRestarts, window, initial, multiplier, max);
    }

    /** @return which exits are restarted */
    public Mode mode() {
        return mode;
    }

    /** @return restarts allowed within {@link #window()} */
    public int maxRestarts() {
        return maxRestarts;
    }

    /** @return the sliding window for {@link #maxRestarts()} */
    public Duration window() {
        return window;
    }

    boolean restarts(int exitCode, boolean livenessFailure) {
        switch (mode) {
            case ALWAYS:
                return true;
            case ON_FAILURE:
                return livenessFailure || exitCode != 0;
            default:
                return false;
        }
    }

    /** Backoff before restart number {@code consecutive} (1-based). */
    Duration backoff(int consecutive) {
        double millis = initialBackoff.toMillis() * Math.pow(multiplier, Math.max(0, consecutive - 1));
        return millis >= maxBackoff.toMillis() ? maxBackoff : Duration.ofMillis((long) millis);
    }

    @Override
    public String toString() {
        return mode == Mode.NEVER ? "never" : mode.name().toLowerCase(java.util.Locale.ROOT)
                + " (max " + maxRestarts + " in " + window + ", backoff " + initialBackoff + " x" + multiplier
                + " up to " + maxBackoff + ")";
    }
}
