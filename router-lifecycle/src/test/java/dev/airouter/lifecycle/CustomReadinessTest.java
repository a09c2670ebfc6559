package dev.airouter.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airouter.testing.Fixtures;
import dev.airouter.testing.FreePorts;
import dev.airouter.testing.NoLeftoverProcesses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A readiness check of one's own: the interface, and what its target offers. */
@ExtendWith(NoLeftoverProcesses.class)
class CustomReadinessTest {
    @TempDir Path logs;

    /** Ready once the process has printed that it listens and its health check passes. */
    record ListeningAndHealthy(Pattern line) implements ReadinessCheck {
        @Override
        public boolean isReady(ReadinessTarget target) {
            return target.hasPrinted(line) && target.isHealthy();
        }

        @Override
        public String toString() {
            return "printed /" + line + "/ and healthy";
        }
    }

    @Test
    void aCheckOfOnesOwnSeesThePidTheOutputAndTheHealthCheck() throws Exception {
        int port = FreePorts.next();
        List<Long> pidsSeen = new CopyOnWriteArrayList<>();
        ProcessConfig config = TestProcesses.http(logs, port, 200)
                .readiness(new ListeningAndHealthy(Pattern.compile("listening on " + port)), target -> {
                    pidsSeen.add(target.pid());
                    return !target.elapsed().isNegative() && !target.lastLines().isEmpty();
                })
                .build();
        try (ManagedProcess p = ManagedProcess.create(config)) {
            long pid = p.ensureRunning().pid().orElseThrow();
            assertThat(pidsSeen).isNotEmpty().allMatch(seen -> seen == pid);
        }
    }

    @Test
    void theTimeoutMessageNamesTheChecksAndAThrowingCheckCountsAsNotReady() throws Exception {
        Path never = logs.resolve("never");
        ProcessConfig config = TestProcesses.command(logs, "sleeper", Fixtures.ignoreTerm())
                .readiness(new ReadinessCheck() {
                    @Override
                    public boolean isReady(ReadinessTarget target) {
                        if (!Files.exists(never)) {
                            throw new IllegalStateException("not there");
                        }
                        return true;
                    }

                    @Override
                    public String toString() {
                        return "file " + never + " exists";
                    }
                })
                .startupTimeout(Duration.ofMillis(800))
                .stopGracePeriod(Duration.ofMillis(200))
                .build();
        try (ManagedProcess p = ManagedProcess.create(config)) {
            assertThatThrownBy(p::ensureRunning).isInstanceOf(StartupTimeoutException.class)
                    .hasMessageContaining("waited for [file " + never + " exists]");
        }
    }
}
