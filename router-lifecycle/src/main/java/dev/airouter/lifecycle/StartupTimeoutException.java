package dev.airouter.lifecycle;

import java.time.Duration;

/** The process was still alive but not ready when the startup timeout ran out; it has been stopped. */
public final class StartupTimeoutException extends LifecycleException {
    private static final long serialVersionUID = 1L;
    private final transient Duration timeout;

    StartupTimeoutException(String message, Duration timeout) {
        super(message);
        this.timeout = timeout;
    }

    /** @return the startup timeout that ran out */
    public Duration timeout() {
        return timeout;
    }
}
