package dev.airouter.backend;

/**
 * Root of the exceptions thrown by chat-backend: the backend could not start (its HTTP port is
 * taken, the external router does not answer, …) or was used in the wrong state.
 *
 * <p>Router start failures are reported as the {@link dev.airouter.lifecycle.LifecycleException}
 * that router-lifecycle threw (it carries the router's last log lines); session store failures as
 * the store's own exceptions.
 */
public class BackendException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, with the values involved
     */
    public BackendException(String message) {
        super(message);
    }

    /**
     * Creates the exception.
     *
     * @param message what went wrong, with the values involved
     * @param cause the underlying failure
     */
    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
