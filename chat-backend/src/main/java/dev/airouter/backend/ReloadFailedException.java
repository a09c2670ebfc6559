package dev.airouter.backend;

/**
 * A router reload failed: the new generation did not become ready (its exit code and last log lines
 * are in the message), or there was nothing to reload. The routers that served before serve on.
 */
public final class ReloadFailedException extends BackendException {
    private static final long serialVersionUID = 1L;

    ReloadFailedException(String message) {
        super(message);
    }
}
