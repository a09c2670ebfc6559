package dev.airouter.backend;

import dev.airouter.lifecycle.ProcessListener;
import dev.airouter.lifecycle.ProcessStatus;
import java.net.URI;

/**
 * The router as the backend sees it: a supervised process ({@link ManagedRouter}, spawned or
 * adopted) or an external URL that is never spawned ({@link ExternalRouter}).
 */
interface RouterHandle extends AutoCloseable {
    /** Makes the router available: adopt or spawn and wait for readiness, or check the external URL. */
    void start() throws InterruptedException;

    /** @return the router's base URL, e.g. {@code http://127.0.0.1:8888} */
    URI url();

    /** @return the current status */
    ProcessStatus status();

    /** @return what the router's latest health answer said about its limits and agents */
    RouterInfo info();

    /**
     * Reads the router's health answer again when it may have changed without this backend
     * noticing (a router it does not run); at most once a second. A supervised router is re-read at
     * every restart anyway, so for it this only returns {@link #info()}.
     *
     * @return the current info
     */
    RouterInfo refreshInfo();

    /**
     * Fails fast when the router is known to be down, so a request never waits on a dead socket.
     *
     * @throws ApiError 503 with {@code Retry-After} when the router is not up
     */
    void checkAvailable();

    /** Called when a connection to the router was refused or broke. */
    void connectionFailed();

    /** Called when a router call got an answer. */
    void connected();

    /** Adds a listener for the router's state transitions (never called for an external router). */
    void addListener(ProcessListener listener);

    /** Stops the router if this backend owns it; idempotent. */
    @Override
    void close();
}
