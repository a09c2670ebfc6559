package dev.airouter.session;

import java.time.Duration;

/**
 * Time bounds for tests on a small shared machine. Tests that need Redis to be reachable give the
 * first connection generous time: in a cold test JVM on two busy cores, loading Lettuce and netty for
 * the handshake alone has taken more than the 1 s default. Tests of the fallback keep the default
 * 1 s connect timeout and allow {@link #FALLBACK} for the whole {@code open()} call.
 */
final class TestTimeouts {
    static final Duration CONNECT = Duration.ofSeconds(15);
    static final Duration FALLBACK = Duration.ofMillis(2500);

    private TestTimeouts() {}
}
