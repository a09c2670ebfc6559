package dev.airouter.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Writers appending numbered messages, each to its own session, recording which appends returned: a
 * failover test starts it, causes its fault, waits for {@link #recovered} and checks with {@link
 * #verify} that every acknowledged append is stored once and in order.
 */
final class AppendLoad implements AutoCloseable {
    private final SessionStore store;
    private final Map<String, List<Integer>> acknowledged = new ConcurrentHashMap<>();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicReference<String> lastRefusal = new AtomicReference<>();
    private final AtomicInteger done = new AtomicInteger();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Throwable> unexpected = new CopyOnWriteArrayList<>();
    private final List<Thread> writers = new ArrayList<>();

    AppendLoad(SessionStore store, int writers, String name) {
        this.store = store;
        for (int w = 0; w < writers; w++) {
            String id = name + "-" + w + "-" + System.nanoTime();
            List<Integer> acks = new CopyOnWriteArrayList<>();
            acknowledged.put(id, acks);
            Thread writer = new Thread(() -> write(id, acks), name + "-writer-" + w);
            writer.start();
            this.writers.add(writer);
        }
    }

    private void write(String id, List<Integer> acks) {
        for (int n = 0; !stop.get(); n++) {
            try {
                store.append(id, new ChatMessage(id + "-" + n, "user", "message " + n, Instant.now(), Map.of()));
                acks.add(n);
                done.incrementAndGet();
            } catch (StoreUnavailableException e) {
                refused.incrementAndGet(); // the outage: refused, the message may or may not be kept
                lastRefusal.set(e.getMessage());
                LockSupport.parkNanos(2_000_000); // a client's pause before its retry, not a wait for a condition
            } catch (RuntimeException e) {
                unexpected.add(e);
            }
        }
    }

    int acknowledged() {
        return done.get();
    }

    int refused() {
        return refused.get();
    }

    /** Waits until {@code more} further appends have been acknowledged, or fails saying what was refused. */
    void recovered(int more, Duration within, String after) {
        int before = done.get();
        try {
            await().atMost(within).until(() -> done.get() >= before + more);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no recovery within " + within.toSeconds() + " s of " + after + ": " + done.get()
                    + " acknowledged (" + before + " then), " + refused.get() + " refused, the last as: "
                    + lastRefusal.get(), e);
        }
    }

    /** Stops the writers, then checks: no error but unavailable, every acknowledged append stored once, in order. */
    void verify() throws InterruptedException {
        close();
        assertThat(unexpected).as("errors other than unavailable").isEmpty();
        for (Map.Entry<String, List<Integer>> e : acknowledged.entrySet()) {
            // the store may answer unavailable for a moment more while the topology settles (503, not a loss)
            List<String> stored = await().atMost(Duration.ofSeconds(30)).ignoreException(StoreUnavailableException.class)
                    .until(() -> store.load(e.getKey()).orElseThrow().messages(), m -> true).stream()
                    .map(ChatMessage::content).toList();
            List<String> acked = e.getValue().stream().map(n -> "message " + n).toList();
            assertThat(stored).as("no message twice in %s", e.getKey()).doesNotHaveDuplicates();
            assertThat(stored).as("every acknowledged append of %s, in order", e.getKey()).containsSubsequence(acked);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : writers) {
            t.join(30_000);
        }
    }
}
