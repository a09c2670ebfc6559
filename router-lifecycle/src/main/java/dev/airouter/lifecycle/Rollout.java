package dev.airouter.lifecycle;

/**
 * How {@link ProcessPool#replace(Rollout, Drain)} brings in a new generation.
 *
 * @param maxSurge how many successors start at once: all of them for blue/green
 *     ({@link Integer#MAX_VALUE}), fewer for a rolling replacement
 */
public record Rollout(int maxSurge) {
    /**
     * Validates the surge.
     *
     * @throws IllegalArgumentException if {@code maxSurge} is below 1
     */
    public Rollout {
        if (maxSurge < 1) {
            throw new IllegalArgumentException("maxSurge must be at least 1, was " + maxSurge);
        }
    }

    /**
     * Blue/green (the default): every successor starts beside its predecessor; only when all are ready
     * do they take over, and if any fails to get ready, all are stopped and the predecessors serve on
     * untouched. Needs twice the processes for a moment.
     *
     * @return the blue/green rollout
     */
    public static Rollout blueGreen() {
        return new Rollout(Integer.MAX_VALUE);
    }

    /**
     * Rolling: {@code maxSurge} replicas at a time, each batch ready before its predecessors retire. A
     * failure stops the rollout where it is: the failed batch's successors are stopped, earlier batches
     * stay replaced (mixed generations), and there are never fewer ready replicas than before.
     *
     * @param maxSurge how many successors start at once, at least 1
     * @return the rolling rollout
     * @throws IllegalArgumentException if {@code maxSurge} is below 1
     */
    public static Rollout rolling(int maxSurge) {
        return new Rollout(maxSurge);
    }

    /** @return whether all successors start at once */
    public boolean isBlueGreen() {
        return maxSurge == Integer.MAX_VALUE;
    }
}
