package dev.airouter.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Events held per thread by {@link MeterBuffer}: none lost, none counted twice, none left behind. */
class MeterBufferTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Timer timer = Timer.builder("t").register(registry);
    private final DistributionSummary summary = DistributionSummary.builder("s").register(registry);
    private final Counter counter = Counter.builder("c").register(registry);
    private final MeterBuffer buffer = new MeterBuffer();

    @AfterEach
    void close() {
        buffer.close();
    }

    @Test
    void aThreadAppliesItsEventsWhenItHoldsABatch() {
        for (int i = 0; i < MeterBuffer.BATCH - 1; i++) {
            buffer.count(counter);
        }
        assertThat(counter.count()).as("held: one short of a batch").isZero();
        buffer.count(counter);
        assertThat(counter.count()).isEqualTo(MeterBuffer.BATCH);
    }

    @Test
    void flushAppliesEveryThreadsEventsExactlyOnce() throws Exception {
        int threads = 6;
        int perThread = 10 * MeterBuffer.BATCH + 7; // whole batches and a remainder held at the end
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    buffer.time(timer, 1_000_000);
                    buffer.record(summary, 3);
                    buffer.count(counter);
                    if (i % 97 == 0) {
                        buffer.flush(); // a scrape meanwhile, from a thread that records too
                    }
                }
            });
            thread.start();
            started.add(thread);
        }
        start.countDown();
        for (Thread thread : started) {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        }
        buffer.flush();
        long events = (long) threads * perThread;
        assertThat(timer.count()).isEqualTo(events);
        assertThat(timer.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(events);
        assertThat(summary.count()).isEqualTo(events);
        assertThat(summary.totalAmount()).isEqualTo(3.0 * events);
        assertThat(counter.count()).isEqualTo(events);
        buffer.flush();
        assertThat(counter.count()).as("a second flush applies nothing again").isEqualTo(events);
    }

    @Test
    void heldEventsAreAppliedWithinAboutASecondWithoutAFlush() {
        buffer.time(timer, 5_000_000);
        assertThat(timer.count()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> timer.count() == 1);
        assertThat(timer.max(TimeUnit.MILLISECONDS)).isEqualTo(5.0);
    }

    @Test
    void closeAppliesWhatIsHeld() {
        MeterBuffer own = new MeterBuffer();
        own.count(counter);
        own.close();
        assertThat(counter.count()).isEqualTo(1);
    }

    @Test
    void eventsOfAThreadThatEndedAreStillApplied() throws Exception {
        Thread worker = new Thread(() -> buffer.record(summary, 42));
        worker.start();
        worker.join(TimeUnit.SECONDS.toMillis(30));
        buffer.flush();
        assertThat(summary.totalAmount()).isEqualTo(42.0);
        buffer.flush();
        assertThat(summary.count()).isEqualTo(1);
    }
}
