package dev.airouter.backend;

import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.HttpUrl;

/**
 * One router the backend can send {@code /route} calls to: a replica of the pool, an adopted
 * router, or an external one. It counts the calls in flight on it exactly (the dispatcher's
 * measure, and what a drain waits for) and holds what the router's health answers said about
 * its limits. Thread-safe.
 */
final class Slot {
    final int index;
    final long generation;
    final URI url;
    final HttpUrl routeUrl;
    final RouterInfo.Tracker info;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Runnable onIdle;

    /**
     * @param onIdle run whenever the in-flight count drops to 0 (a drain waiting for it); quick
     */
    Slot(int index, long generation, URI url, RouterInfo.Tracker info, Runnable onIdle) {
        this.index = index;
        this.generation = generation;
        this.url = url;
        this.routeUrl = HttpUrl.get(url.toString()).newBuilder().encodedPath("/route").build();
        this.info = info;
        this.onIdle = onIdle;
    }

    int inFlight() {
        return inFlight.get();
    }

    void begin() {
        inFlight.incrementAndGet();
    }

    void end() {
        if (inFlight.decrementAndGet() == 0) {
            onIdle.run();
        }
    }

    @Override
    public String toString() {
        return "router #" + index + " (generation " + generation + ", " + url + ")";
    }
}
