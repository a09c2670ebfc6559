package dev.airouter.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.RedisServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Threads append numbered messages as fast as they can while the test kills the store's connection
 * ({@code CLIENT KILL TYPE normal}) several times. A failed append is retried with the same message
 * (same id) until it is acknowledged, as a backend retrying after a 503 would.
 */
final class DisconnectBurst {
    private final SessionStore store;
    private final RedisServer redis;
    private final String sessionId;
    private final int threads;
    private final int perThread;
    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    private final AtomicInteger failures = new AtomicInteger();

    DisconnectBurst(SessionStore store, RedisServer redis, String sessionId, int threads, int perThread) {
        this.store = store;
        this.redis = redis;
        this.sessionId = sessionId;
        this.threads = threads;
        this.perThread = perThread;
    }

    void run(int disconnects) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> appendAll(thread)));
            }
            int total = threads * perThread;
            for (int k = 1; k <= disconnects; k++) {
                int mark = total * k / (disconnects + 1);
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(1))
                        .until(() -> acknowledged.size() >= mark);
                redis.command("CLIENT", "KILL", "TYPE", "normal");
            }
            for (Future<?> future : futures) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private Void appendAll(int thread) {
        for (int i = 0; i < perThread; i++) {
            ChatMessage message = new ChatMessage("t" + thread + "-" + i, "user", "t" + thread + ":" + i,
                    Instant.now(), Map.of());
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (true) {
                try {
                    store.append(sessionId, message);
                    acknowledged.add(message.id());
                    break;
                } catch (StoreUnavailableException e) {
                    failures.incrementAndGet();
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(store::ping);
                }
            }
        }
        return null;
    }

    int failures() {
        return failures.get();
    }

    void assertEveryMessageExactlyOnce() {
        Session session = store.load(sessionId).orElseThrow();
        Map<String, Long> counts = session.messages().stream()
                .collect(Collectors.groupingBy(ChatMessage::id, Collectors.counting()));
        assertThat(counts).allSatisfy((id, count) -> assertThat(count).as("copies of %s", id).isEqualTo(1L));
        assertThat(counts.keySet()).containsAll(acknowledged);
        assertThat(acknowledged).hasSize(threads * perThread);
        ConcurrentAppends.assertComplete(session, threads, perThread);
    }

}
