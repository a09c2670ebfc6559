package dev.airouter.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.airouter.backend.ChatBackend;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RedisServer;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The backend in this JVM with the real router and a real Redis, under {@code soak.clients} (16)
 * paced clients for {@code soak.duration} (3 min): chats in short and long conversations, recall
 * questions, bad requests and session reads. Then: no 5xx and no unexpected answer, every
 * conversation read back complete, p99 reported, and heap/threads/fds back within tolerance.
 *
 * <p><b>Leak tolerance</b>: the baseline is taken after a 10 s warm-up at full load (worker pool,
 * connection pools, JIT and Redis connection established) once the load has stopped; the end figures
 * the same way after the soak. Heap after a full GC may grow by 10 % or 16 MiB, whichever is larger
 * (the test's own ledger, about 300 bytes per conversation, lives in this heap too); live threads by
 * 10 % or 8; open fds by 10 % or 16 (sockets the server closes asynchronously). The end figures are
 * polled for up to 20 s, since connections and idle threads wind down after the load.
 *
 * <p>The store's Redis command timeout is 2 s here instead of 500 ms (see {@link Backends#patientRedis}).
 *
 * <p>Knobs: {@code -Dsoak.duration=PT3M -Dsoak.clients=16 -Dsoak.rate=20} (requests per second per
 * client) {@code -Dsoak.seed=N}.
 */
@ExtendWith(NoLeftoverProcesses.class)
class SoakTest {
    static final Duration DURATION = Duration.parse(System.getProperty("soak.duration", "PT3M"));
    static final int CLIENTS = Integer.getInteger("soak.clients", 16);
    static final double RATE = Double.parseDouble(System.getProperty("soak.rate", "20"));
    static final Duration WARM_UP = Duration.ofSeconds(10);

    @Test
    void sixteenClientsForThreeMinutesGetNo5xxLoseNoMessageAndLeakNothing() throws Exception {
        long seed = Long.getLong("soak.seed", System.nanoTime());
        System.out.printf("[soak] seed %d (-Dsoak.seed=%d), %d clients × %.0f req/s for %s%n", seed, seed, CLIENTS,
                RATE, DURATION);
        Ledger ledger = new Ledger();
        Figures warmFigures = new Figures(false);
        Figures figures = new Figures(false);
        try (RedisServer redis = RedisServer.start();
                ChatBackend backend = Backends.start(Backends.base().storeConfig(Backends.patientRedis(redis.url())))) {
            assertThat(backend.storeBackend()).isEqualTo("redis");
            URI url = backend.url();

            try (ChatLoad warm = new ChatLoad("warm", url, ledger, warmFigures, ChatLoad.Mix.soak(), CLIENTS, RATE, seed)) {
                warm.start();
                Backends.hold(WARM_UP);
            }
            Backends.Jvm before = quiet(url);
            System.out.println("[soak] baseline after warm-up: " + before);

            long t0 = System.nanoTime();
            try (ChatLoad load = new ChatLoad("soak", url, ledger, figures, ChatLoad.Mix.soak(), CLIENTS, RATE, seed + 1)) {
                load.start();
                Backends.hold(DURATION);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;

            AtomicReference<Backends.Jvm> after = new AtomicReference<>(quiet(url));
            try {
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofSeconds(1))
                        .until(() -> within(before, after.updateAndGet(a -> settledQuietly(url, a))));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                // reported and asserted below with the values
            }
            Ledger.Summary summary = ledger.verify(url);

            Backends.Jvm end = after.get();
            System.out.printf("[soak] %d requests in %.1f s (%.0f/s): %s; chats ok %d; p50 %.1f ms, p90 %.1f ms, p99 %.1f ms,"
                    + " p99.9 %.1f ms, max %.1f ms%n", figures.total(), seconds, figures.total() / seconds,
                    figures.statuses(), figures.chatOkCount(), figures.chatPercentileMillis(0.5),
                    figures.chatPercentileMillis(0.9), figures.chatPercentileMillis(0.99),
                    figures.chatPercentileMillis(0.999), figures.chatPercentileMillis(1.0));
            System.out.printf("[soak] warm-up: %s; recall questions checked %d, routed elsewhere %d%n",
                    warmFigures.statuses(), figures.recallChecked() + warmFigures.recallChecked(),
                    figures.recallMisrouted() + warmFigures.recallMisrouted());
            System.out.printf("[soak] conversations %d (verified %d, unverifiable %d), user messages acknowledged %d,"
                    + " refused %d, unanswered %d%n", summary.conversations(), summary.verified(), summary.unverifiable(),
                    summary.acked(), summary.refused(), summary.unknown());
            System.out.printf("[soak] JVM before %s; after %s; delta heap %+.1f MiB, threads %+d, fds %+d%n", before, end,
                    (end.heapUsedBytes() - before.heapUsedBytes()) / 1048576.0, end.liveThreads() - before.liveThreads(),
                    end.openFileDescriptors() - before.openFileDescriptors());

            assertThat(warmFigures.unexpected()).as("unexpected answers during the warm-up").isEmpty();
            assertThat(figures.unexpected()).as("unexpected answers").isEmpty();
            assertThat(figures.serverErrors() + warmFigures.serverErrors()).as("5xx answers: %s / warm-up %s",
                    figures.statuses(), warmFigures.statuses()).isZero();
            assertThat(summary.problems()).as("conversations read back").isEmpty();
            assertThat(summary.unknown()).as("chats without an answer").isZero();
            assertThat(figures.chatOkCount()).as("successful chats").isGreaterThan(CLIENTS * DURATION.toSeconds());
            assertThat(within(before, end)).as("JVM figures back within tolerance: before %s, after %s", before, end)
                    .isTrue();
        }
    }

    private static Backends.Jvm settledQuietly(URI url, Backends.Jvm previous) {
        try {
            return Backends.settled(url);
        } catch (java.io.IOException e) {
            return previous;
        }
    }

    /** Waits until nothing but the status request is in flight, then reads the settled figures. */
    private static Backends.Jvm quiet(URI url) throws Exception {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> Backends.status(url).inFlight() <= 1);
        return Backends.settled(url);
    }

    static boolean within(Backends.Jvm before, Backends.Jvm after) {
        return after.heapUsedBytes() <= before.heapUsedBytes() + Math.max(before.heapUsedBytes() / 10, 16L << 20)
                && after.liveThreads() <= before.liveThreads() + Math.max(before.liveThreads() / 10, 8)
                && after.openFileDescriptors() <= before.openFileDescriptors()
                        + Math.max(before.openFileDescriptors() / 10, 16);
    }
}
