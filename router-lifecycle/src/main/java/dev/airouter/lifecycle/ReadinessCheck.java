package dev.airouter.lifecycle;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One signal that a spawned process is ready. A process is ready when every configured check
 * passes. Probes start within ~10 ms of spawning and repeat at most ~25 ms apart during the first
 * 10 s, then back off to 250 ms, until the startup timeout; a line of output also triggers a probe.
 *
 * <pre>{@code
 * ReadinessCheck.health()                       // the configured HealthCheck passes
 * ReadinessCheck.tcpPort(3000)                  // 127.0.0.1:3000 accepts a connection
 * ReadinessCheck.logLine("Local:\\s+http://")   // a line of output matches
 * }</pre>
 *
 * <p>Write your own for anything else (a file appears, a command answers, a queue is connected):
 * implement {@link #isReady(ReadinessTarget)}, and {@code toString()} for the startup-timeout
 * message, which lists what it waited for. Built-in checks are obtained from the static factories.
 */
@FunctionalInterface
public interface ReadinessCheck {
    /**
     * Tells whether the process is ready now. Called again and again on a probe thread while the
     * process starts (also from more than one thread at once), so it must be thread-safe and should
     * return quickly: a check that blocks delays readiness by as long. An exception counts as "not
     * ready yet".
     *
     * @param target the process being started
     * @return whether this signal is present
     */
    boolean isReady(ReadinessTarget target);

    /** @return a check that passes when the configured {@link HealthCheck} passes */
    static ReadinessCheck health() {
        return ReadinessChecks.Health.INSTANCE;
    }

    /**
     * @param port a TCP port on 127.0.0.1, 1–65535
     * @return a check that passes when the port accepts a connection
     * @throws IllegalArgumentException if the port is out of range
     */
    static ReadinessCheck tcpPort(int port) {
        return tcpPort("127.0.0.1", port);
    }

    /**
     * @param host the host to connect to
     * @param port a TCP port, 1–65535
     * @return a check that passes when {@code host:port} accepts a connection
     * @throws IllegalArgumentException if the port is out of range
     */
    static ReadinessCheck tcpPort(String host, int port) {
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("readiness tcpPort must be 1-65535, was " + port);
        }
        return new ReadinessChecks.Tcp(host, port);
    }

    /**
     * @param regex a regular expression searched in each output line (stdout or stderr)
     * @return a check that passes once a line of output since the spawn matches
     * @throws java.util.regex.PatternSyntaxException if the expression is invalid
     */
    static ReadinessCheck logLine(String regex) {
        return logLine(Pattern.compile(regex));
    }

    /**
     * @param pattern searched in each output line (stdout or stderr)
     * @return a check that passes once a line of output since the spawn matches
     */
    static ReadinessCheck logLine(Pattern pattern) {
        return new ReadinessChecks.LogLine(Objects.requireNonNull(pattern, "pattern"));
    }
}
