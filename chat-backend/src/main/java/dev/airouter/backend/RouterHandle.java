package dev.airouter.backend;

import dev.airouter.lifecycle.ReplicaListener;

/**
 * The routers as the backend sees them: a pool of supervised replicas ({@link PooledRouter}), one
 * adopted router ({@link AdoptedRouter}), or an external URL that is never spawned
 * ({@link ExternalRouter}). Each {@code /route} call takes a {@link Slot} with {@link #acquire} and
 * gives it back with {@link #release}, which is how calls in flight are counted per router.
 */
interface RouterHandle extends AutoCloseable {
    /** Makes the routers available: start all replicas and wait until every one is ready, adopt, or check the URL. */
    void start() throws InterruptedException;

    /** @return the routers now */
    RouterStatus status();

    /**
     * What a chat message is checked against before a router is chosen: the strictest limits of the
     * ready routers (they run the same code, so normally the same limits), or the assumed ones.
     */
    RouterInfo info();

    /**
     * Chooses a router for one call and counts the call on it (least outstanding requests).
     *
     * @param exclude a router not to choose (the one a call just failed on), or {@code null}
     * @return the router; give it back with {@link #release}
     * @throws ApiError 503 with {@code Retry-After} when no router (other than {@code exclude}) is ready
     */
    Slot acquire(Slot exclude);

    /**
     * Ends a call on a router.
     *
     * @param slot the router the call was on
     * @param reached whether the router answered (false: the connection was refused or broke)
     */
    void release(Slot slot, boolean reached);

    /**
     * Reads a router's health answer again when it may have changed without this backend noticing
     * (a router it does not run); at most once a second. A supervised router is re-read at every
     * restart anyway, so for it this only returns what is known.
     *
     * @param slot the router, or {@code null} for the strictest of all
     * @return what is known now
     */
    RouterInfo refreshInfo(Slot slot);

    /**
     * Replaces the routers with a new generation without a gap (see {@link ChatBackend#reload()}).
     *
     * @throws IllegalStateException when there is nothing this backend can reload (an adopted or
     *     external router)
     * @throws dev.airouter.lifecycle.ReplicaStartException when the new generation failed to start (the
     *     old one serves on)
     */
    ReloadResult reload() throws InterruptedException;

    /** @return why {@link #reload()} cannot work here (an adopted or external router), or empty if it can */
    default java.util.Optional<String> reloadRefusal() {
        return java.util.Optional.empty();
    }

    /** Adds a listener for the routers' events (never called for an external router). */
    void addListener(ReplicaListener listener);

    /** Stops the routers if this backend owns them; idempotent. */
    @Override
    void close();
}
