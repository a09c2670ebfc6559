package dev.airouter.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.FreePorts;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.Processes;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(NoLeftoverProcesses.class)
class SupervisionTest {
    @TempDir Path logs;

    @Test
    void crashIsRestartedWithBackoffThenFailedAfterMaxRestarts() throws Exception {
        int port = FreePorts.next();
        ProcessConfig config = TestProcesses.http(logs, port, 0, "--exit-after-ms", "1000")
                .restartPolicy(RestartPolicy.onFailure().withMaxRestarts(3, Duration.ofMinutes(1))
                        .withBackoff(Duration.ofMillis(50), 2.0, Duration.ofSeconds(1)))
                .build();
        List<ProcessEvent> events = new CopyOnWriteArrayList<>();
        try (ManagedProcess p = ManagedProcess.create(config)) {
            p.addListener(e -> {
                throw new IllegalStateException("a broken listener must not break supervision");
            });
            p.addListener(events::add);
            p.ensureRunning();
            await().atMost(Duration.ofSeconds(20)).until(() -> p.status().state() == ProcessState.FAILED);
            ProcessStatus status = p.status();
            assertThat(status.restarts()).isEqualTo(3);
            assertThat(status.lastExitCode()).hasValue(3);
            assertThat(status.pid()).isEmpty();
            await().atMost(Duration.ofSeconds(5)).until(() -> events.size() == 9);
            assertThat(events).extracting(ProcessEvent::state).containsExactly(
                    ProcessState.STARTING, ProcessState.RUNNING,
                    ProcessState.RESTARTING, ProcessState.RUNNING,
                    ProcessState.RESTARTING, ProcessState.RUNNING,
                    ProcessState.RESTARTING, ProcessState.RUNNING,
                    ProcessState.FAILED);
        }
        // (10th event: the close() after FAILED does not add one; see below)
    }

    @Test
    void restartEventsCarryBackoffAndCount() throws Exception {
        int port = FreePorts.next();
        ProcessConfig config = TestProcesses.http(logs, port, 0, "--exit-after-ms", "1000")
                .restartPolicy(RestartPolicy.onFailure().withMaxRestarts(2, Duration.ofMinutes(1))
                        .withBackoff(Duration.ofMillis(100), 3.0, Duration.ofSeconds(1)))
                .build();
        List<ProcessEvent> events = new CopyOnWriteArrayList<>();
        try (ManagedProcess p = ManagedProcess.create(config)) {
            p.addListener(events::add);
            p.ensureRunning();
            await().atMost(Duration.ofSeconds(20)).until(() -> p.status().state() == ProcessState.FAILED);
            await().atMost(Duration.ofSeconds(5)).until(() -> events.stream()
                    .anyMatch(e -> e.state() == ProcessState.FAILED));
            List<ProcessEvent> restarting = events.stream().filter(e -> e.state() == ProcessState.RESTARTING).toList();
            assertThat(restarting).hasSize(2);
            assertThat(restarting.get(0).cause()).contains("exited with code 3").contains("restart 1 in 100 ms");
            assertThat(restarting.get(1).cause()).contains("restart 2 in 300 ms");
            assertThat(restarting.get(0).status().nextRestartAt()).isPresent();
            assertThat(restarting.get(0).status().lastExitCode()).hasValue(3);
            ProcessEvent failed = events.get(events.size() - 1);
            assertThat(failed.cause()).contains("gave up after 2 restarts within 60 s");
        }
    }

    @Test
    void portStolenBetweenCrashAndRestartFailsAtOnceWithoutALoop() throws Exception {
        int port = FreePorts.next();
        ProcessConfig config = TestProcesses.http(logs, port, 0, "--exit-after-ms", "1000")
                .restartPolicy(RestartPolicy.onFailure().withBackoff(Duration.ofMillis(500), 2.0, Duration.ofSeconds(1)))
                .build();
        List<ProcessEvent> events = new CopyOnWriteArrayList<>();
        ServerSocket[] thief = new ServerSocket[1];
        try (ManagedProcess p = ManagedProcess.create(config)) {
            p.addListener(e -> {
                if (e.state() == ProcessState.RESTARTING && thief[0] == null) {
                    thief[0] = FreePorts.occupy(port);
                }
                events.add(e);
            });
            p.ensureRunning();
            await().atMost(Duration.ofSeconds(10)).until(() -> p.status().state() == ProcessState.FAILED);
            await().atMost(Duration.ofSeconds(5)).until(() -> events.stream().anyMatch(e -> e.state() == ProcessState.FAILED));
            ProcessEvent failed = events.stream().filter(e -> e.state() == ProcessState.FAILED).findFirst().orElseThrow();
            assertThat(failed.cause()).contains("port " + port + " is in use")
                    .contains("pid " + ProcessHandle.current().pid());
            assertThat(events.stream().filter(e -> e.state() == ProcessState.RUNNING)).hasSize(1);
            assertThat(p.status().restarts()).isEqualTo(1);
        } finally {
            if (thief[0] != null) {
                thief[0].close();
            }
        }
    }

    @Test
    void hungChildIsRestartedByTheLivenessProbe() throws Exception {
        int port = FreePorts.next();
        ProcessConfig config = TestProcesses.http(logs, port, 0)
                .restartPolicy(RestartPolicy.onFailure())
                .livenessProbe(LivenessProbe.of(Duration.ofMillis(200), 3))
                .build();
        try (ManagedProcess p = ManagedProcess.create(config)) {
            long pid = p.ensureRunning().pid().orElseThrow();
            new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    p.status().state() == ProcessState.RUNNING && p.status().restarts() == 1);
            assertThat(p.status().pid()).isPresent().isNotEqualTo(java.util.OptionalLong.of(pid));
            assertThat(Processes.isAlive(pid)).isFalse();
            assertThat(p.status().lastExitCode()).hasValue(137);
        }
    }

    @Test
    void cleanExitIsNotRestartedOnFailurePolicy() throws Exception {
        ProcessConfig config = TestProcesses.command(logs, "clean", List.of("python3", "-c",
                        "import time; print('up', flush=True); time.sleep(0.3)"))
                .readiness(ReadinessCheck.logLine("^up$"))
                .restartPolicy(RestartPolicy.onFailure())
                .build();
        try (ManagedProcess p = ManagedProcess.create(config)) {
            p.ensureRunning();
            await().atMost(Duration.ofSeconds(10)).until(() -> p.status().state() == ProcessState.STOPPED);
            assertThat(p.status().restarts()).isZero();
            assertThat(p.status().lastExitCode()).hasValue(0);
        }
    }
}
