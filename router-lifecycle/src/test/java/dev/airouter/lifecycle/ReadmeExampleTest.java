package dev.airouter.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.testing.NoLeftoverProcesses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The README's router-lifecycle example, run against the real python-router in this repository. */
@ExtendWith(NoLeftoverProcesses.class)
class ReadmeExampleTest {

    @Test
    void readmeExampleRunsTheRealRouter() throws Exception {
        Path routerDir = Path.of("..", "python-router");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(routerDir.resolve("ai_router")),
                "python-router sources not found beside this module");
        int port = dev.airouter.testing.FreePorts.next();
        // --- README snippet (port and log file adapted for a test) ---
        ProcessConfig config = ProcessConfig.builder("ai-router")
                .command(dev.airouter.testing.Fixtures.python(), "-m", "ai_router", "--port", Integer.toString(port))
                .workingDirectory(routerDir)
                .healthCheck(HealthCheck.http("http://127.0.0.1:" + port + "/health")
                        .expectingJsonField("service", "ai-router"))
                .restartPolicy(RestartPolicy.onFailure())
                .livenessProbe(LivenessProbe.of(Duration.ofSeconds(5), 3))
                .logFile(Path.of("target", "readme-ai-router.log"))
                .build();
        try (ManagedProcess router = ManagedProcess.create(config)) {
            ProcessStatus status = router.ensureRunning();
            System.out.println(status.state() + " pid " + status.pid().orElse(-1));
            assertThat(status.state()).isEqualTo(ProcessState.RUNNING);
        }
    }

    @Test
    void readmePoolExampleRunsThreeRealRoutersAndReplacesThem() throws Exception {
        Path routerDir = Path.of("..", "python-router");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(routerDir.resolve("ai_router")),
                "python-router sources not found beside this module");
        java.util.List<ReplicaEvent> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        // --- README snippet (interpreter and log file adapted for a test) ---
        ProcessConfig template = ProcessConfig.builder("ai-router")
                .command(dev.airouter.testing.Fixtures.python(), "-m", "ai_router", "--port", "{port}")
                .workingDirectory(routerDir)
                .healthCheck(HealthCheck.http("http://127.0.0.1:{port}/health")
                        .expectingJsonField("service", "ai-router"))
                .restartPolicy(RestartPolicy.onFailure())
                .logFile(Path.of("target", "readme-pool", "ai-router.log"))
                .build();
        try (ProcessPool routers = ProcessPool.create(PoolConfig.builder(template).replicas(3).build())) {
            routers.addListener(e -> System.out.println(e.kind() + " " + e.replica().url() + " gen " + e.replica().generation()));
            routers.addListener(seen::add);
            routers.start();                                           // all 3 ready, started in parallel
            routers.replace(Rollout.blueGreen(), Drain.immediately()); // generation 2 takes over, no gap
            routers.replicas().stream().filter(Replica::isReady).forEach(r -> System.out.println(r.url()));
            assertThat(routers.replicas()).hasSize(3).allMatch(r -> r.isReady() && r.generation() == 2);
        }
        assertThat(seen).extracting(ReplicaEvent::kind).contains(ReplicaEvent.Kind.READY, ReplicaEvent.Kind.RETIRING,
                ReplicaEvent.Kind.GONE);
    }
}
