package dev.airouter.benchmarks.session;

import dev.airouter.session.ChatMessage;
import dev.airouter.session.SessionStore;
import dev.airouter.session.SessionStoreConfig;
import dev.airouter.session.SessionStores;
import dev.airouter.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Measures what one append+load costs rather than how many fit in a second: CPU time of the calling
 * thread and server time inside Redis ({@code INFO commandstats}), for the Redis store and for the
 * raw Lettuce baseline of {@link SessionStoreBenchmark}. On a shared machine whose load swings,
 * these costs stay comparable where throughput does not. Single thread; {@code rounds} alternating
 * runs of {@code ops} operations each after a warm-up.
 *
 * <pre>java -cp … dev.airouter.benchmarks.session.SessionStoreCostProbe [ops] [rounds]</pre>
 */
public final class SessionStoreCostProbe {
    private SessionStoreCostProbe() {}

    /**
     * Runs the probe and prints one line per run.
     *
     * @param args optional: operations per run (default 20,000), rounds (default 3)
     * @throws Exception if Redis or a command fails
     */
    public static void main(String[] args) throws Exception {
        System.out.println();
        System.out.println("Cost of one append+load, single thread (SessionStoreCostProbe; Redis command time sums the"
                + " script and the commands inside it):");
        System.out.println();
        System.out.println("```");
        int ops = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        try (RedisServer redis = RedisServer.start();
                SessionStore store = SessionStores.redis(SessionStoreConfig.builder().redisUrl(redis.url())
                        .connectTimeout(Duration.ofSeconds(15)).historyLimit(SessionStoreBenchmark.HISTORY_LIMIT).build())) {
            RedisClient client = RedisClient.create(redis.url());
            try (StatefulRedisConnection<String, String> raw = client.connect()) {
                for (int round = 0; round <= rounds; round++) { // round 0 warms up
                    report(round, "redis store", redis, ops, i -> {
                        store.append("probe", message(i));
                        store.load("probe");
                    });
                    report(round, "raw Lettuce", redis, ops, i -> rawAppendThenLoad(raw.async(), message(i)));
                }
            } finally {
                client.shutdown();
            }
        }
        System.out.println("```");
    }

    private static ChatMessage message(long i) {
        return new ChatMessage("probe-" + i + "-" + System.nanoTime(), "user", "benchmark message number " + i,
                Instant.now(), Map.of());
    }

    private static void rawAppendThenLoad(RedisAsyncCommands<String, String> async, ChatMessage m) throws Exception {
        String key = "probe:raw";
        String json = "{\"v\":1,\"id\":\"" + m.id() + "\",\"role\":\"user\",\"content\":\"" + m.content()
                + "\",\"ts\":\"" + m.timestamp() + "\"}";
        async.rpush(key, json);
        async.ltrim(key, -SessionStoreBenchmark.HISTORY_LIMIT, -1);
        async.pexpire(key, 1_800_000).get(1, TimeUnit.SECONDS);
        var history = async.lrange(key, 0, -1);
        async.pexpire(key, 1_800_000).get(1, TimeUnit.SECONDS);
        history.get(1, TimeUnit.SECONDS);
    }

    private interface Op {
        void run(long i) throws Exception;
    }

    private static void report(int round, String name, RedisServer redis, int ops, Op op) throws Exception {
        redis.command("CONFIG", "RESETSTAT");
        var threads = ManagementFactory.getThreadMXBean();
        long cpu = threads.getCurrentThreadCpuTime();
        long wall = System.nanoTime();
        for (long i = 0; i < ops; i++) {
            op.run(i);
        }
        double wallMicros = (System.nanoTime() - wall) / 1e3 / ops;
        double cpuMicros = (threads.getCurrentThreadCpuTime() - cpu) / 1e3 / ops;
        long serverMicros = 0;
        for (String line : redis.command("INFO", "commandstats").toString().split("\r\n")) {
            if (line.startsWith("cmdstat_") && !line.startsWith("cmdstat_config") && !line.startsWith("cmdstat_info")) {
                serverMicros += Long.parseLong(line.replaceAll(".*,usec=([0-9]+),.*", "$1"));
                if (System.getProperty("probe.commands") != null) {
                    System.out.println("    " + line); // -Dprobe.commands: each command's Redis time
                }
            }
        }
        System.out.printf(Locale.ROOT, "%s %-12s wall %6.1f us/op, caller-thread CPU %6.1f us/op, Redis command time"
                + " %5.1f us/op%n", round == 0 ? "warm-up" : "round " + round, name, wallMicros, cpuMicros,
                (double) serverMicros / ops);
    }
}
