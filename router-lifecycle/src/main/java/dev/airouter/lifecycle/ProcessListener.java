package dev.airouter.lifecycle;

/**
 * Receives a {@link ProcessEvent} for every state transition of a {@link ManagedProcess}.
 *
 * <p>Events are delivered in order, one at a time, on the process's own event thread (never on the
 * thread that caused the transition), so a listener cannot block supervision. Listeners must still
 * be quick, and must not throw: an exception is logged and otherwise ignored.
 */
@FunctionalInterface
public interface ProcessListener {
    /**
     * Called after a transition.
     *
     * @param event what changed, why, and the status right after
     */
    void onEvent(ProcessEvent event);
}
