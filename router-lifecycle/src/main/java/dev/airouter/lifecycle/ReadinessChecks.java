package dev.airouter.lifecycle;

import java.time.Duration;
import java.util.regex.Pattern;

/** The built-in {@link ReadinessCheck}s; the library needs to recognise some of them (ports, patterns). */
final class ReadinessChecks {
    private ReadinessChecks() {}

    /** The configured health check passes. */
    enum Health implements ReadinessCheck {
        INSTANCE;

        @Override
        public boolean isReady(ReadinessTarget target) {
            return target.isHealthy();
        }

        @Override
        public String toString() {
            return "health check";
        }
    }

    /** A TCP port accepts a connection; its port is the process's port when no health check names one. */
    record Tcp(String host, int port) implements ReadinessCheck {
        @Override
        public boolean isReady(ReadinessTarget target) {
            return Ports.isAccepting(host, port, Duration.ofMillis(250));
        }

        @Override
        public String toString() {
            return "tcp " + host + ":" + port;
        }
    }

    /** A line of output matches; matched as lines arrive, so a flood of output cannot hide it. */
    record LogLine(Pattern pattern) implements ReadinessCheck {
        @Override
        public boolean isReady(ReadinessTarget target) {
            return target.hasPrinted(pattern);
        }

        @Override
        public String toString() {
            return "log line /" + pattern + "/";
        }
    }
}
