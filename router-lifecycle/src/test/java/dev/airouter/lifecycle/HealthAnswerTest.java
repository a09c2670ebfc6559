package dev.airouter.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airouter.testing.Fixtures;
import dev.airouter.testing.FreePorts;
import dev.airouter.testing.NoLeftoverProcesses;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@link HealthCheck#onHealthyAnswer}: what a process says about itself, read from the health answers anyway made. */
@ExtendWith(NoLeftoverProcesses.class)
class HealthAnswerTest {
    @TempDir Path logs;

    @Test
    void theListenerHasTheAnswerBeforeTheProcessIsReportedRunning() throws Exception {
        int port = FreePorts.next();
        List<String> bodies = new CopyOnWriteArrayList<>();
        List<ProcessState> statesSeen = new CopyOnWriteArrayList<>();
        AtomicReference<ManagedProcess> self = new AtomicReference<>();
        List<java.net.URI> urls = new CopyOnWriteArrayList<>();
        HealthCheck check = HealthCheck.http("http://127.0.0.1:" + port + "/health").onHealthyAnswer((url, body) -> {
            bodies.add(body);
            urls.add(url);
            statesSeen.add(self.get().status().state());
        });
        ProcessConfig config = TestProcesses.command(logs, "answers", Fixtures.httpServer(port, 200, "fixture"))
                .healthCheck(check).build();
        try (ManagedProcess p = ManagedProcess.create(config)) {
            self.set(p);
            long pid = p.ensureRunning().pid().orElseThrow();
            assertThat(bodies).isNotEmpty(); // a regular and an output-triggered probe may both pass
            assertThat(bodies.get(0)).contains("\"service\": \"fixture\"").contains("\"pid\": " + pid);
            assertThat(statesSeen.get(0)).isEqualTo(ProcessState.STARTING);
            assertThat(urls.get(0)).isEqualTo(java.net.URI.create("http://127.0.0.1:" + port + "/health"));
        }
    }

    @Test
    void adoptionHandsTheAnswerToTheListenerToo() throws Exception {
        int port = FreePorts.next();
        Process existing = new ProcessBuilder(Fixtures.httpServer(port, 0, "fixture")).start();
        try {
            StartTest.waitHealthy(port);
            List<String> bodies = new CopyOnWriteArrayList<>();
            ProcessConfig config = TestProcesses.command(logs, "adopted", List.of("false"))
                    .healthCheck(HealthCheck.http("http://127.0.0.1:" + port + "/health").onHealthyAnswer((url, body) -> bodies.add(body)))
                    .build();
            try (ManagedProcess p = ManagedProcess.create(config)) {
                assertThat(p.ensureRunning().state()).isEqualTo(ProcessState.ADOPTED);
                assertThat(bodies).isNotEmpty();
                assertThat(bodies.get(0)).contains("\"pid\": " + existing.pid());
            }
        } finally {
            existing.destroyForcibly().waitFor();
        }
    }

    @Test
    void aThrowingListenerNeitherFailsTheCheckNorTheStart() throws Exception {
        int port = FreePorts.next();
        HealthCheck check = HealthCheck.http("http://127.0.0.1:" + port + "/health").onHealthyAnswer((url, body) -> {
            throw new IllegalStateException("listener bug");
        });
        ProcessConfig config = TestProcesses.command(logs, "throwing", Fixtures.httpServer(port, 0, "fixture"))
                .healthCheck(check).build();
        try (ManagedProcess p = ManagedProcess.create(config)) {
            assertThat(p.ensureRunning().state()).isEqualTo(ProcessState.RUNNING);
        }
    }

    @Test
    void aCheckHasOneListener() {
        HealthCheck check = HealthCheck.http("http://127.0.0.1:1/health").onHealthyAnswer((url, body) -> { });
        assertThatThrownBy(() -> check.onHealthyAnswer((url, body) -> { })).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already has an onHealthyAnswer listener");
        assertThat(check.expectingJsonField("service", "x").withTimeout(java.time.Duration.ofSeconds(1)).toString())
                .contains("\"service\": \"x\"");
    }

    @Test
    void preflightHelpersFindExecutablesAndFreePorts() throws Exception {
        assertThat(Executables.onPath("sh")).hasValueSatisfying(p -> assertThat(p).isExecutable());
        assertThat(Executables.onPath("no-such-executable-airouter")).isEmpty();
        assertThat(Executables.onPath("/bin/sh")).isPresent();
        int port = PortHolder.freeLoopbackPort();
        try (java.net.ServerSocket socket = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertThat(socket.getLocalPort()).isEqualTo(port);
        }
    }
}
