package dev.airouter.session;

/**
 * Thrown when a session id breaks the rule {@link SessionIds#RULE}; nothing was read or written. An
 * HTTP backend answers 400.
 *
 * <p>The message quotes at most the first 40 characters of the id, with control characters escaped,
 * so it is safe to log and to return to the client.
 */
public final class InvalidSessionIdException extends SessionStoreException {
    private static final long serialVersionUID = 1L;
    private final String sessionId;

    /**
     * Creates the exception.
     *
     * @param sessionId the rejected id, as given ({@code null} becomes the empty string)
     * @param reason what rule it broke
     */
    public InvalidSessionIdException(String sessionId, String reason) {
        super("invalid session id " + SessionIds.preview(sessionId) + ": " + reason
                + "; expected " + SessionIds.RULE);
        this.sessionId = sessionId == null ? "" : sessionId;
    }

    /** @return the rejected id exactly as given ({@code ""} for {@code null}); not safe to log raw */
    public String sessionId() {
        return sessionId;
    }
}
