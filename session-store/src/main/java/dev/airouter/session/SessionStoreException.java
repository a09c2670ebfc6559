package dev.airouter.session;

/**
 * Root of every exception the session store throws; unchecked.
 *
 * <p>Catch the subtypes to branch: {@link InvalidSessionIdException} (the caller sent a bad id, answer
 * 400) and {@link StoreUnavailableException} (the backend is down or slow, answer 503). Anything else
 * of this type is a fault in the stored data or the store's use, e.g. a closed store or data written
 * by a newer format version.
 */
public class SessionStoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, with the values involved
     */
    public SessionStoreException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what went wrong, with the values involved
     * @param cause the underlying failure
     */
    public SessionStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
