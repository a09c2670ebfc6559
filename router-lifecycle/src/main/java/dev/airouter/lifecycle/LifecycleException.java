package dev.airouter.lifecycle;

/** Root of the exceptions thrown by router-lifecycle: a process could not be started, adopted or stopped. */
public class LifecycleException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, with the values involved
     */
    public LifecycleException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong, with the values involved
     * @param cause the underlying failure
     */
    public LifecycleException(String message, Throwable cause) {
        super(message, cause);
    }
}
