package dev.airouter.backend;

/**
 * What a router accepts in one {@code POST /route}: how many history messages, how long a query
 * (Unicode code points, which is what Python's {@code len} counts), how large a request body. The
 * backend never sends a router more than its limits allow: it fits the history it sends into them
 * (newest messages first, by count and by bytes) and refuses a chat message longer than the router
 * takes with a 400 that names the limit.
 *
 * <p>The bundled router advertises its limits in {@code GET /health} ({@code "limits":
 * {"max_history_messages": 500, "max_query_chars": 10000, "max_body_bytes": 1048576}}), and the
 * backend reads them from the health answers it gets anyway (at readiness, after every restart).
 * For a router that advertises nothing (a {@code routerCommand} or {@code routerUrl} of your own),
 * the backend assumes {@link BackendConfig#routerLimits()}, by default {@link #ofDefaults()}.
 *
 * @param maxHistoryMessages the most history messages one request may carry, 0–100,000 (0: send none)
 * @param maxQueryCodePoints the longest query in code points, 1–10,000,000
 * @param maxBodyBytes the largest request body in bytes, 1 byte–1 GiB
 */
public record RouterLimits(int maxHistoryMessages, int maxQueryCodePoints, long maxBodyBytes) {
    private static final RouterLimits DEFAULTS = new RouterLimits(500, 10_000, 1024 * 1024);

    static final int MAX_HISTORY_MESSAGES = 100_000;
    static final int MAX_QUERY_CODE_POINTS = 10_000_000;
    static final long MAX_BODY_BYTES = 1024L * 1024 * 1024;

    /**
     * Checks that every value is in its range.
     *
     * @throws IllegalArgumentException if a value is out of its range (the message names it)
     */
    public RouterLimits {
        if (maxHistoryMessages < 0 || maxHistoryMessages > MAX_HISTORY_MESSAGES) {
            throw new IllegalArgumentException("maxHistoryMessages must be 0-" + MAX_HISTORY_MESSAGES
                    + " (0 = send no history), was " + maxHistoryMessages);
        }
        if (maxQueryCodePoints < 1 || maxQueryCodePoints > MAX_QUERY_CODE_POINTS) {
            throw new IllegalArgumentException("maxQueryCodePoints must be 1-" + MAX_QUERY_CODE_POINTS + ", was "
                    + maxQueryCodePoints);
        }
        if (maxBodyBytes < 1 || maxBodyBytes > MAX_BODY_BYTES) {
            throw new IllegalArgumentException("maxBodyBytes must be 1-" + MAX_BODY_BYTES + ", was " + maxBodyBytes);
        }
    }

    /**
     * Returns the bundled router's limits: 500 history messages, 10,000 code points, 1 MiB.
     *
     * @return the default limits
     */
    public static RouterLimits ofDefaults() {
        return DEFAULTS;
    }

    /**
     * Returns a copy with another history limit.
     *
     * @param n the most history messages one request may carry, 0–100,000
     * @return a copy with that history limit
     * @throws IllegalArgumentException if {@code n} is out of range
     */
    public RouterLimits withMaxHistoryMessages(int n) {
        return new RouterLimits(n, maxQueryCodePoints, maxBodyBytes);
    }

    /**
     * Returns a copy with another query limit.
     *
     * @param n the longest query in code points, 1–10,000,000
     * @return a copy with that query limit
     * @throws IllegalArgumentException if {@code n} is out of range
     */
    public RouterLimits withMaxQueryCodePoints(int n) {
        return new RouterLimits(maxHistoryMessages, n, maxBodyBytes);
    }

    /**
     * Returns a copy with another body limit.
     *
     * @param bytes the largest request body, 1 byte–1 GiB
     * @return a copy with that body limit
     * @throws IllegalArgumentException if {@code bytes} is out of range
     */
    public RouterLimits withMaxBodyBytes(long bytes) {
        return new RouterLimits(maxHistoryMessages, maxQueryCodePoints, bytes);
    }
}
