package dev.airouter.lifecycle;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One signal that a spawned process is ready. A process is ready when every configured check
 * passes. Probes start within ~10 ms of spawning and repeat at most ~25 ms apart during the first
 * 10 s, then back off to 250 ms, until the startup timeout.
 *
 * <pre>{@code
 * ReadinessCheck.health()                       // the configured HealthCheck passes
 * ReadinessCheck.tcpPort(3000)                  // 127.0.0.1:3000 accepts a connection
 * ReadinessCheck.logLine("Local:\\s+http://")   // a line of output matches
 * }</pre>
 */
public final class ReadinessCheck {
    enum Kind { HEALTH, TCP, LOG_LINE }

    private final Kind kind;
    private final String host;
    private final int port;
    private final Pattern pattern;

    private ReadinessCheck(Kind kind, String host, int port, Pattern pattern) {
        this.kind = kind;
        this.host = host;
        this.port = port;
        this.pattern = pattern;
    }

    /** @return a check that passes when the configured {@link HealthCheck} passes */
    public static ReadinessCheck health() {
        return new ReadinessCheck(Kind.HEALTH, null, 0, null);
    }

    /**
     * @param port a TCP port on 127.0.0.1, 1–65535
     * @return a check that passes when the port accepts a connection
     * @throws IllegalArgumentException if the port is out of range
     */
    public static ReadinessCheck tcpPort(int port) {
        return tcpPort("127.0.0.1", port);
    }

    /**
     * @param host the host to connect to
     * @param port a TCP port, 1–65535
     * @return a check that passes when {@code host:port} accepts a connection
     * @throws IllegalArgumentException if the port is out of range
     */
    public static ReadinessCheck tcpPort(String host, int port) {
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("readiness tcpPort must be 1-65535, was " + port);
        }
        return new ReadinessCheck(Kind.TCP, host, port, null);
    }

    /**
     * @param regex a regular expression searched in each output line (stdout or stderr)
     * @return a check that passes once a line of output since the spawn matches
     * @throws java.util.regex.PatternSyntaxException if the expression is invalid
     */
    public static ReadinessCheck logLine(String regex) {
        return logLine(Pattern.compile(regex));
    }

    /**
     * @param pattern searched in each output line (stdout or stderr)
     * @return a check that passes once a line of output since the spawn matches
     */
    public static ReadinessCheck logLine(Pattern pattern) {
        return new ReadinessCheck(Kind.LOG_LINE, null, 0, Objects.requireNonNull(pattern, "pattern"));
    }

    Kind kind() {
        return kind;
    }

    String host() {
        return host;
    }

    int port() {
        return port;
    }

    Pattern pattern() {
        return pattern;
    }

    @Override
    public String toString() {
        switch (kind) {
            case HEALTH:
                return "health check";
            case TCP:
                return "tcp " + host + ":" + port;
            default:
                return "log line /" + pattern + "/";
        }
    }
}
