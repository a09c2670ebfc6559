package dev.airouter.backend;

/**
 * What the backend measures, as events; {@link #NONE} when metrics are off, so that a backend
 * without metrics pays a virtual call per event and nothing else. The Micrometer side is
 * {@link MicrometerMetrics}. Implementations are thread-safe.
 */
interface Metrics {
    /** Metrics off: every event is ignored. */
    Metrics NONE = new Metrics() {};

    /** @return whether events are recorded (false for {@link #NONE}) */
    default boolean enabled() {
        return false;
    }

    /** An HTTP request arrived. */
    default void requestStarted() {}

    /**
     * An HTTP request ended (answered, or its connection closed).
     *
     * @param method the request method as sent
     * @param route the matched route template, or {@code null} when it matched none
     * @param status the response status
     * @param nanos how long it took
     */
    default void requestEnded(String method, String route, int status, long nanos) {}

    /** A {@code /route} call was handed to the router at this replica index. */
    default void routerAcquired(int replica) {}

    /** A {@code /route} call on the router at this replica index ended (a stream: when the stream ended). */
    default void routerReleased(int replica) {}

    /**
     * A {@code /route} call answered or failed.
     *
     * @param outcome {@code ok}, {@code 4xx}, {@code 5xx}, {@code timeout} or {@code retried}
     */
    default void routerCall(int replica, String outcome, long nanos) {}

    /**
     * A session store call ended.
     *
     * @param outcome {@code ok}, {@code unavailable}, {@code invalid} or {@code error}
     */
    default void storeCall(String operation, String outcome, long nanos) {}

    /**
     * A chat turn was answered (the reply stored).
     *
     * @param streamed whether it was {@code POST /api/chat/stream}
     * @param historyLength how many earlier messages went to the router with it
     */
    default void turn(boolean streamed, int historyLength) {}

    /** A streamed reply ended before the router's {@code done}, for this reason. */
    default void streamInterrupted(ChatStream.End reason) {}
}
