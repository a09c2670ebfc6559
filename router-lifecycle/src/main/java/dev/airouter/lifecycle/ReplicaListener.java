package dev.airouter.lifecycle;

/**
 * Receives the events of a {@link ProcessPool}'s replicas. Called on the pool's event thread, in the
 * order the events happened (so in order per replica); must be quick. An exception it throws is
 * logged and ignored.
 */
@FunctionalInterface
public interface ReplicaListener {
    /** @param event what happened */
    void onEvent(ReplicaEvent event);
}
