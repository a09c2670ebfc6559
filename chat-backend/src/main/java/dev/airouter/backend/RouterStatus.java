package dev.airouter.backend;

import dev.airouter.lifecycle.ProcessState;
import dev.airouter.lifecycle.ProcessStatus;
import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The backend's routers at one moment: the pool's replicas (or the one adopted or external router)
 * and a summary of them.
 *
 * @param state {@link State#RUNNING} when every replica is ready, {@link State#DEGRADED} when some
 *     are, {@link State#DOWN} when none is
 * @param owned whether this backend started (and stops) them: false for an adopted or external router
 * @param generation the newest generation begun: the one serving, or a newer one starting or that
 *     failed to start (the next reload starts {@code generation + 1}); 1 for an adopted or external router
 * @param replicas every replica, by index then generation (both generations during a reload)
 */
public record RouterStatus(State state, boolean owned, long generation, List<ReplicaStatus> replicas) {
    /** How many of the routers can take calls. */
    public enum State {
        /** All of them. */
        RUNNING,
        /** Some of them: chat goes on with the others. */
        DEGRADED,
        /** None: chat answers 503 until one is ready again. */
        DOWN
    }

    /**
     * One router.
     *
     * @param index its slot in the pool, from 0
     * @param generation the pool generation it belongs to (1, then one more per reload)
     * @param url its base URL, e.g. {@code http://127.0.0.1:41235}
     * @param process its process's status (for an external router: synthesised, state
     *     {@link ProcessState#ADOPTED}, no pid)
     * @param ready whether it takes new calls now
     * @param inFlight the {@code /route} calls on it right now
     */
    public record ReplicaStatus(int index, long generation, URI url, ProcessStatus process, boolean ready, int inFlight) {
        /**
         * Validates the components.
         *
         * @throws NullPointerException if a component is null
         */
        public ReplicaStatus {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(process, "process");
        }

        /** @return its process's state */
        public ProcessState state() {
            return process.state();
        }
    }

    /**
     * Validates and copies the components.
     *
     * @throws NullPointerException if a component is null
     */
    public RouterStatus {
        Objects.requireNonNull(state, "state");
        replicas = List.copyOf(replicas);
    }

    /** The summary of a set of replicas: RUNNING when all are ready, DEGRADED when some, DOWN when none. */
    static RouterStatus of(boolean owned, long generation, List<ReplicaStatus> replicas) {
        long ready = replicas.stream().filter(ReplicaStatus::ready).count();
        State state = ready == 0 ? State.DOWN : ready == replicas.size() ? State.RUNNING : State.DEGRADED;
        return new RouterStatus(state, owned, generation, replicas);
    }

    /** @return whether chat can be served: at least one router is ready */
    public boolean isHealthy() {
        return state != State.DOWN;
    }

    /** @return whether every router gave up ({@link ProcessState#FAILED}): none will come back by itself */
    public boolean isFailed() {
        return !replicas.isEmpty() && replicas.stream().allMatch(r -> r.state() == ProcessState.FAILED);
    }

    /** @return the restarts of all routers together */
    public int restarts() {
        return replicas.stream().mapToInt(r -> r.process().restarts()).sum();
    }

    /** @return the URL of the first router (replica 0), the one a single-router setup has */
    public URI url() {
        return replicas.isEmpty() ? URI.create("http://127.0.0.1") : replicas.get(0).url();
    }

    /** @return the pid of the first router's process, if known */
    public OptionalLong pid() {
        return replicas.isEmpty() ? OptionalLong.empty() : replicas.get(0).process().pid();
    }
}
