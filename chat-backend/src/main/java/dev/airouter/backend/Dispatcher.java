package dev.airouter.backend;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Least outstanding requests over the ready routers, by the power of two choices (Envoy's
 * {@code LEAST_REQUEST}): two distinct candidates at random, the one with fewer calls in flight
 * wins, a tie goes to either. With two routers that is exact least-outstanding with random
 * tie-breaks; with many it avoids the herd that "the global minimum" causes when counts are stale
 * by a few calls, at one comparison per call. The ready set is replaced as a whole (an immutable
 * list in a volatile field) whenever it changes, so picking takes no lock.
 */
final class Dispatcher {
    private volatile List<Slot> ready = List.of();

    /** Replaces the set of routers that take new calls. */
    void ready(List<Slot> slots) {
        ready = List.copyOf(slots);
    }

    List<Slot> ready() {
        return ready;
    }

    /**
     * Picks a router for one call.
     *
     * @param exclude a router not to pick (the one a retried call failed on), or {@code null}
     * @return the router, or {@code null} when none is ready (other than {@code exclude})
     */
    Slot pick(Slot exclude) {
        List<Slot> slots = ready;
        int n = slots.size();
        if (exclude != null && slots.contains(exclude)) {
            if (n == 1) {
                return null;
            }
            int skip = slots.indexOf(exclude);
            ThreadLocalRandom random = ThreadLocalRandom.current();
            int a = random.nextInt(n - 1);
            a = a >= skip ? a + 1 : a;
            if (n == 2) {
                return slots.get(a);
            }
            int b = random.nextInt(n - 2);
            b = b >= Math.min(a, skip) ? b + 1 : b;
            b = b >= Math.max(a, skip) ? b + 1 : b;
            return better(slots.get(a), slots.get(b));
        }
        if (n == 0) {
            return null;
        }
        if (n == 1) {
            return slots.get(0);
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int a = random.nextInt(n);
        int b = random.nextInt(n - 1);
        b = b >= a ? b + 1 : b;
        return better(slots.get(a), slots.get(b));
    }

    private static Slot better(Slot a, Slot b) {
        int x = a.inFlight();
        int y = b.inFlight();
        return x < y ? a : y < x ? b : ThreadLocalRandom.current().nextBoolean() ? a : b;
    }
}
