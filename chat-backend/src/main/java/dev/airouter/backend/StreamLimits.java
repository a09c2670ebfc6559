package dev.airouter.backend;

import java.time.Duration;

/**
 * The bounds of a streamed reply ({@code POST /api/chat/stream}); see the {@code stream…} options of
 * {@link BackendConfig}.
 *
 * @param idleTimeout longest silence of the router, then an {@code error} event
 * @param maxDuration longest stream, then an {@code error} event
 * @param bufferBytes events waiting for a slow client, then an {@code error} event
 * @param heartbeat interval of the comment line on a quiet stream
 * @param maxReplyBytes longest reply in UTF-8 bytes, then it ends as interrupted
 */
record StreamLimits(Duration idleTimeout, Duration maxDuration, int bufferBytes, Duration heartbeat, int maxReplyBytes) {
    @Override
    public String toString() {
        return "{idleTimeout=" + idleTimeout + ", maxDuration=" + maxDuration + ", bufferBytes=" + bufferBytes
                + ", heartbeat=" + heartbeat + ", maxReplyBytes=" + maxReplyBytes + "}";
    }
}
