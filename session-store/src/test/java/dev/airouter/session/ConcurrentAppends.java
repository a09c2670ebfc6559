package dev.airouter.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** N threads each appending M numbered messages to one session, spread over one or more stores. */
final class ConcurrentAppends {
    private ConcurrentAppends() {}

    static void run(List<SessionStore> stores, String sessionId, int threads, int perThread) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                SessionStore store = stores.get(t % stores.size());
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        store.append(sessionId, ChatMessage.user("t" + thread + ":" + i));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : futures) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Every thread's messages are present exactly once and in the order that thread appended them. */
    static void assertComplete(Session session, int threads, int perThread) {
        assertThat(session.messages()).hasSize(threads * perThread);
        Map<String, Integer> next = new HashMap<>();
        for (ChatMessage message : session.messages()) {
            String[] parts = message.content().split(":");
            int expected = next.getOrDefault(parts[0], 0);
            assertThat(Integer.parseInt(parts[1])).as("order of thread %s", parts[0]).isEqualTo(expected);
            next.put(parts[0], expected + 1);
        }
        assertThat(next).hasSize(threads).allSatisfy((thread, count) -> assertThat(count).isEqualTo(perThread));
    }
}
