package dev.airouter.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.FreePorts;
import dev.airouter.testing.MutableClock;
import dev.airouter.testing.NoLeftoverProcesses;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The configured clock: the restart window, times and uptimes follow it, so tests move time instead of waiting. */
@ExtendWith(NoLeftoverProcesses.class)
class ClockTest {
    private static final Instant START = Instant.parse("2030-01-01T00:00:00Z");
    @TempDir Path logs;

    private ProcessConfig crashingEvery300ms(Clock clock) {
        return TestProcesses.http(logs, FreePorts.next(), 0, "--exit-after-ms", "300")
                .restartPolicy(RestartPolicy.onFailure().withMaxRestarts(2, Duration.ofMinutes(1))
                        .withBackoff(Duration.ofMillis(20), 1.0, Duration.ofMillis(20)))
                .clock(clock)
                .build();
    }

    @Test
    void restartsSpreadBeyondTheWindowNeverExhaustThePolicy() throws Exception {
        MutableClock clock = new MutableClock(START);
        List<ProcessEvent> events = new CopyOnWriteArrayList<>();
        try (ManagedProcess p = ManagedProcess.create(crashingEvery300ms(clock))) {
            p.addListener(e -> {
                events.add(e);
                if (e.state() == ProcessState.RESTARTING) {
                    clock.advance(Duration.ofMinutes(2)); // each crash comes long after the previous one
                }
            });
            p.ensureRunning();
            await().atMost(Duration.ofSeconds(30)).until(() -> p.status().restarts() >= 4);
            assertThat(events).extracting(ProcessEvent::state).doesNotContain(ProcessState.FAILED);
            assertThat(events.get(0).time()).isEqualTo(START);
            // the start time of a restarted process is on the moved clock, minutes after the first start
            assertThat(events).filteredOn(e -> e.state() == ProcessState.RUNNING).last()
                    .satisfies(e -> assertThat(e.status().startedAt().orElseThrow()).isAfter(Instant.parse("2030-01-01T00:05:00Z")));
        }
    }

    @Test
    void restartsWithinTheWindowExhaustThePolicy() throws Exception {
        try (ManagedProcess p = ManagedProcess.create(crashingEvery300ms(new MutableClock(START)))) { // time stands still
            p.ensureRunning();
            await().atMost(Duration.ofSeconds(30)).until(() -> p.status().state() == ProcessState.FAILED);
            assertThat(p.status().restarts()).isEqualTo(2);
        }
    }
}
