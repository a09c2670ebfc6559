package dev.airouter.benchmarks.session;

import dev.airouter.benchmarks.Stats;
import dev.airouter.session.ChatMessage;
import dev.airouter.session.SessionStore;
import dev.airouter.session.SessionStoreConfig;
import dev.airouter.session.SessionStores;
import dev.airouter.testing.RedisClusterTopology;
import dev.airouter.testing.RedisSentinelTopology;
import dev.airouter.testing.RedisServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One chat turn's storage work — append a question and a reply, then load the newest 20 messages —
 * on three setups measured in the same run: a standalone Redis master with one replica (the baseline),
 * the same shape behind Redis Sentinel (1 master, 1 replica, 3 sentinels), Sentinel with {@code
 * replicaAcks 1} (each append waits for the replica's {@code WAIT} confirmation), and a Redis Cluster
 * of 3 masters with a replica each (sessions spread over the masters by their hash tags).
 *
 * <p>The stores are open at once, and each round measures them back to back in a rotating order
 * for {@code seconds} each, at 1 thread (latency: µs per turn) and at 8 threads (throughput); ratios
 * are taken per round and reported as the median with the spread over rounds. The client-side cache
 * is off on every store, so all three do the same round trips (it is off on Sentinel by design).
 *
 * <pre>
 * java -cp benchmarks/target/classes:$(cat benchmarks/target/classpath.txt) \
 *     dev.airouter.benchmarks.session.StoreTopologyBenchmark [rounds] [seconds] [warmupSeconds]
 * </pre>
 *
 * Defaults: 5 rounds of 3 s per setup and thread count, 5 s of warm-up per setup.
 */
public final class StoreTopologyBenchmark {
    private static final int HISTORY_LIMIT = 20;
    private static final int[] THREADS = {1, 8};

    private StoreTopologyBenchmark() {}

    /**
     * Runs the benchmark and prints a Markdown table and the per-round figures.
     *
     * @param args optional: rounds, seconds per measurement, warm-up seconds per setup
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws InterruptedException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        double warmup = args.length > 2 ? Double.parseDouble(args[2]) : 5;
        try (RedisServer master = RedisServer.start();
                RedisServer replica = RedisServer.start("--replicaof", "127.0.0.1", Integer.toString(master.port()));
                RedisSentinelTopology sentinel = RedisSentinelTopology.start();
                RedisClusterTopology cluster = RedisClusterTopology.start()) {
            awaitInSync(replica);
            Map<String, SessionStore> stores = new LinkedHashMap<>();
            stores.put("standalone", SessionStores.redis(config(master.url(), 0)));
            stores.put("sentinel", SessionStores.redis(config(sentinel.url(), 0)));
            stores.put("sentinel + replicaAcks 1", SessionStores.redis(config(sentinel.url(), 1)));
            stores.put("cluster (3 masters)", SessionStores.redis(config(cluster.url(), 0)));
            try {
                for (SessionStore store : stores.values()) {
                    measure(store, 8, warmup);
                }
                print(rounds, seconds, stores);
            } finally {
                stores.values().forEach(SessionStore::close);
            }
        }
    }

    private static void print(int rounds, double seconds, Map<String, SessionStore> stores) throws InterruptedException {
        List<String> names = new ArrayList<>(stores.keySet());
        List<String> lines = new ArrayList<>();
        List<String> table = new ArrayList<>();
        for (int threads : THREADS) {
            Map<String, List<Double>> rates = new LinkedHashMap<>();
            names.forEach(n -> rates.put(n, new ArrayList<>()));
            for (int round = 0; round < rounds; round++) {
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%d thread(s) round %d:", threads, round + 1));
                for (int i = 0; i < names.size(); i++) {
                    String name = names.get((i + round) % names.size()); // rotate who goes first
                    double rate = measure(stores.get(name), threads, seconds);
                    rates.get(name).add(rate);
                    line.append(String.format(Locale.ROOT, " %s %,.0f turns/s;", name, rate));
                }
                lines.add(line.toString());
            }
            List<Double> base = rates.get("standalone");
            for (String name : names) {
                Stats rate = Stats.of(rates.get(name));
                List<Double> ratios = new ArrayList<>();
                List<Double> costs = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    ratios.add(rates.get(name).get(r) / base.get(r));
                    costs.add(1e6 / rates.get(name).get(r) - 1e6 / base.get(r));
                }
                Stats ratio = Stats.of(ratios);
                Stats cost = Stats.of(costs);
                table.add(String.format(Locale.ROOT, "| %d | %s | %,.0f | %.0f | %.2f (%.2f–%.2f) | %s |", threads, name,
                        rate.median(), threads * 1e6 / rate.median(), ratio.median(), ratio.min(), ratio.max(),
                        threads == 1 ? String.format(Locale.ROOT, "%+.0f µs (%+.0f…%+.0f)", cost.median(), cost.min(),
                                cost.max()) : "—"));
            }
        }
        System.out.println("Session store on Redis Sentinel, with replicaAcks 1, and on a Redis Cluster vs a standalone"
                + " master with one replica (StoreTopologyBenchmark: append 2 messages + load the newest 20, per turn; median of "
                + rounds + " rounds of " + seconds + " s, spread in parentheses)");
        System.out.println();
        System.out.println("| threads | setup | turns/s | µs per turn (per thread) | ratio to standalone | added per turn (1 thread) |");
        System.out.println("|---|---|---|---|---|---|");
        table.forEach(System.out::println);
        System.out.println();
        System.out.println("```");
        lines.forEach(System.out::println);
        System.out.println("```");
    }

    /** Runs {@code threads} writers, each on its own session, for {@code seconds}; returns turns per second. */
    static double measure(SessionStore store, int threads, double seconds) throws InterruptedException {
        AtomicLong turns = new AtomicLong();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        CountDownLatch done = new CountDownLatch(threads);
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            Thread thread = new Thread(() -> {
                String id = "bench-" + UUID.randomUUID();
                try {
                    for (long n = 0; System.nanoTime() < end; n++) {
                        store.append(id, new ChatMessage(id + "-q" + n, "user", "benchmark question " + n, Instant.now(),
                                Map.of()), new ChatMessage(id + "-a" + n, "assistant", "benchmark answer " + n,
                                Instant.now(), Map.of()));
                        store.load(id, HISTORY_LIMIT).orElseThrow();
                        turns.incrementAndGet();
                    }
                } catch (RuntimeException e) {
                    errors.add(e);
                } finally {
                    done.countDown();
                }
            }, "topology-bench-" + t);
            thread.start();
        }
        done.await();
        if (!errors.isEmpty()) {
            throw new IllegalStateException("a turn failed: " + errors.get(0), errors.get(0));
        }
        return turns.get() / ((System.nanoTime() - start) / 1e9);
    }

    private static SessionStoreConfig config(String url, int replicaAcks) {
        return SessionStoreConfig.builder().redisUrl(url).keyPrefix("bench:topology:").historyLimit(HISTORY_LIMIT)
                .connectTimeout(Duration.ofSeconds(15)).commandTimeout(Duration.ofSeconds(2)).clientCache(false)
                .replicaAcks(replicaAcks).build();
    }

    private static void awaitInSync(RedisServer replica) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!String.valueOf(replica.command("INFO", "replication")).contains("master_link_status:up")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the replica of the standalone master did not sync within 30 s");
            }
            Thread.sleep(50); // polling a state another process changes; nothing to wait on
        }
    }
}
