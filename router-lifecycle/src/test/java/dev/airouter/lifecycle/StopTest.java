package dev.airouter.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.Fixtures;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.Processes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(NoLeftoverProcesses.class)
class StopTest {
    private static final Pattern PID_LINE = Pattern.compile("pid (\\d+) depth (\\d+)");
    @TempDir Path logs;

    @Test
    void stopKillsChildThatIgnoresSigtermAfterTheGracePeriod() throws Exception {
        ProcessConfig config = TestProcesses.command(logs, "stubborn", Fixtures.ignoreTerm())
                .readiness(ReadinessCheck.logLine("^ready$"))
                .stopGracePeriod(Duration.ofMillis(500))
                .build();
        try (ManagedProcess p = ManagedProcess.create(config)) {
            long pid = p.ensureRunning().pid().orElseThrow();
            long t0 = System.nanoTime();
            p.stop();
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(Processes.isAlive(pid)).isFalse();
            assertThat(millis).isBetween(450L, 3000L);
            assertThat(p.status().lastExitCode()).hasValue(137);
        }
    }

    @Test
    void stopKillsGrandchildrenThatIgnoreSigterm() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        ProcessConfig config = TestProcesses.command(logs, "tree", Fixtures.forkTree(3, "--ignore-term"))
                .readiness(ReadinessCheck.logLine("^ready$"))
                .outputListener(lines::add)
                .stopGracePeriod(Duration.ofMillis(300))
                .build();
        try (ManagedProcess p = ManagedProcess.create(config)) {
            p.ensureRunning();
            await().atMost(Duration.ofSeconds(5)).until(() -> pids(lines).size() == 4);
            Set<Long> tree = Set.copyOf(pids(lines));
            assertThat(tree).allMatch(Processes::isAlive);
            p.stop();
            assertThat(tree).noneMatch(Processes::isAlive);
        }
    }

    @Test
    void grandchildHoldingStdoutOpenDoesNotHangStop() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        ProcessConfig config = TestProcesses.command(logs, "holder", Fixtures.forkTree(2, "--hold-stdout"))
                .readiness(ReadinessCheck.logLine("^ready$"))
                .outputListener(lines::add)
                .build();
        try (ManagedProcess p = ManagedProcess.create(config)) {
            p.ensureRunning();
            await().atMost(Duration.ofSeconds(5)).until(() -> pids(lines).size() == 3);
            List<Long> tree = pids(lines);
            long t0 = System.nanoTime();
            p.stop();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
            assertThat(tree).noneMatch(Processes::isAlive);
        }
    }

    @Test
    void concurrentStopCallsAllReturnAfterEverythingIsGone() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        ProcessConfig config = TestProcesses.command(logs, "tree", Fixtures.forkTree(2))
                .readiness(ReadinessCheck.logLine("^ready$"))
                .outputListener(lines::add)
                .build();
        try (ManagedProcess p = ManagedProcess.create(config)) {
            p.ensureRunning();
            await().atMost(Duration.ofSeconds(5)).until(() -> pids(lines).size() == 3);
            List<Long> tree = pids(lines);
            List<CompletableFuture<Boolean>> stops = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                stops.add(CompletableFuture.supplyAsync(() -> {
                    p.stop();
                    return tree.stream().noneMatch(Processes::isAlive);
                }));
            }
            for (CompletableFuture<Boolean> stop : stops) {
                assertThat(stop.get(10, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(p.status().state()).isEqualTo(ProcessState.STOPPED);
            p.stop(); // idempotent
            assertThat(p.status().state()).isEqualTo(ProcessState.STOPPED);
        }
    }

    @Test
    void stopDuringStartupEndsTheStartAndTheProcess() throws Exception {
        int port = dev.airouter.testing.FreePorts.next();
        try (ManagedProcess p = ManagedProcess.create(TestProcesses.http(logs, port, 60_000).build())) {
            CompletableFuture<Throwable> start = CompletableFuture.supplyAsync(() -> {
                try {
                    p.ensureRunning();
                    return null;
                } catch (Exception e) {
                    return e;
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> p.status().pid().isPresent());
            long pid = p.status().pid().getAsLong();
            p.stop();
            assertThat(start.get(10, TimeUnit.SECONDS)).isInstanceOf(LifecycleException.class)
                    .hasMessageContaining("stop()");
            assertThat(Processes.isAlive(pid)).isFalse();
        }
    }

    static List<Long> pids(List<String> lines) {
        List<Long> pids = new ArrayList<>();
        for (String line : lines) {
            Matcher m = PID_LINE.matcher(line);
            if (m.find()) {
                pids.add(Long.parseLong(m.group(1)));
            }
        }
        return pids;
    }
}
