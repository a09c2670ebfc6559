package dev.airouter.benchmarks.session;

import com.sun.management.OperatingSystemMXBean;
import dev.airouter.session.ChatMessage;
import dev.airouter.session.SessionStore;
import dev.airouter.session.SessionStoreConfig;
import dev.airouter.session.SessionStores;
import dev.airouter.testing.RedisServer;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What one chat turn's store work (a 20-message tail load, then a two-message append) costs the
 * whole JVM — calling threads, Lettuce's event loop, GC — in CPU per turn, and how many turns per
 * second a number of threads get through, on 64 rotating sessions of a local {@code redis-server}.
 * The transport comparison runs it twice: as is (Netty's native epoll on Linux) and with
 * {@code -Dio.lettuce.core.epoll=false} (Java NIO).
 *
 * <pre>java -cp … dev.airouter.benchmarks.session.TurnCpuProbe [turns=20000] [threads=1] [rounds=4]</pre>
 */
public final class TurnCpuProbe {
    private TurnCpuProbe() {}

    /**
     * @param args turns per round, threads, rounds (after one warm-up round)
     * @throws Exception if Redis fails
     */
    public static void main(String[] args) throws Exception {
        int turns = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (RedisServer redis = RedisServer.start();
                SessionStore store = SessionStores.redis(SessionStoreConfig.builder().redisUrl(redis.url())
                        .connectTimeout(Duration.ofSeconds(15)).build())) {
            String transport = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                    .anyMatch(n -> n.startsWith("lettuce-epoll")) ? "native epoll" : "Java NIO";
            for (int round = 0; round <= rounds; round++) { // round 0 warms up
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                long cpu = os.getProcessCpuTime();
                long start = System.nanoTime();
                List<Future<?>> running = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    running.add(pool.submit(() -> {
                        for (int i = 0; i < turns / threads; i++) {
                            String id = "turn-" + ((i * threads + thread) % 64);
                            store.load(id, 20);
                            store.append(id, List.of(ChatMessage.user("hello there, how are you today? " + i),
                                    ChatMessage.assistant("a reply of about the length the router gives " + i)));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : running) {
                    f.get();
                }
                pool.shutdown();
                double seconds = (System.nanoTime() - start) / 1e9;
                if (round > 0) {
                    System.out.printf(Locale.ROOT, "%s, %d thread(s), round %d: %.1f us CPU per turn, %,.0f turns/s%n",
                            transport, threads, round, (os.getProcessCpuTime() - cpu) / 1e3 / turns, turns / seconds);
                }
            }
        }
    }
}
