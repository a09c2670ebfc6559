package dev.airouter.lifecycle;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The process a {@link ReadinessCheck} looks at: one spawn of it (a restart is a new target).
 * Thread-safe.
 */
public interface ReadinessTarget {
    /** @return the process's pid (the command's own, not a wrapper's) */
    long pid();

    /** @return the time since the process was spawned */
    Duration elapsed();

    /**
     * Runs the configured {@link HealthCheck} once, now.
     *
     * @return whether it passed; false when no health check is configured
     */
    boolean isHealthy();

    /**
     * Tells whether a line the process printed matches {@code pattern}. The patterns of
     * {@link ReadinessCheck#logLine} checks are matched against every line as it arrives; any other
     * pattern against the lines that arrive after its first use, and the last
     * {@value OutputPump#LAST_LINES} lines before it.
     *
     * @param pattern searched in each line (stdout or stderr)
     * @return whether such a line was printed since the spawn
     */
    boolean hasPrinted(Pattern pattern);

    /** @return the process's last output lines, oldest first (at most {@value OutputPump#LAST_LINES}) */
    List<String> lastLines();
}
