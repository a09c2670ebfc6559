package dev.airouter.session;

/**
 * Thrown when the store's backend cannot answer: Redis is down, unreachable, disconnected, or slower
 * than the command timeout. The operation may or may not have been applied (see {@link
 * SessionStore#append}); retrying an append with the same message ids never duplicates them. An HTTP
 * backend answers 503. The store recovers by itself when Redis returns.
 */
public final class StoreUnavailableException extends SessionStoreException {
    private static final long serialVersionUID = 1L;
    private final String operation;
    private final String target;
    private final String reason;

    /**
     * Creates the exception.
     *
     * @param operation the store operation that failed, e.g. {@code append}
     * @param target where the store tried to reach, with any password masked
     * @param detail why, e.g. {@code no answer within 500 ms}
     * @param cause the client library's exception, or {@code null}
     */
    public StoreUnavailableException(String operation, String target, String detail, Throwable cause) {
        super("session store " + operation + " failed: " + target + " unavailable (" + detail + ")", cause);
        this.operation = operation;
        this.target = target;
        this.reason = detail;
    }

    /** @return the store operation that failed, e.g. {@code load} or {@code append} */
    public String operation() {
        return operation;
    }

    /** @return why it failed, e.g. {@code no answer within 500 ms} or {@code Connection refused} */
    public String reason() {
        return reason;
    }

    /** @return the backend address with any password masked, e.g. {@code redis://127.0.0.1:6379} */
    public String target() {
        return target;
    }
}
