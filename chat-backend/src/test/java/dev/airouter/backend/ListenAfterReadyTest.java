package dev.airouter.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.FreePorts;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RawHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The backend listens only once the router is ready: order, not timing (the figure comes from
 * {@code benchmarks/}, ReadyToListenBenchmark).
 */
@ExtendWith(NoLeftoverProcesses.class)
class ListenAfterReadyTest {

    @Test
    void theBackendPortStaysClosedWhileTheRouterListensButIsNotReady() throws Exception {
        Path gate = TestBackends.tempDir().resolve("ready");
        int port = FreePorts.next();
        int routerPort = FreePorts.next();
        ChatBackend backend = ChatBackend.create(TestBackends.base(port, routerPort).storeConfig(TestBackends.memoryStore())
                .routerCommand(TestBackends.gatedRouter(gate)).build());
        CompletableFuture<ChatBackend> started = CompletableFuture.supplyAsync(() -> {
            try {
                return backend.start();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> FreePorts.isAccepting(routerPort)); // listening, not ready
            await("the backend port stays closed while the router is not ready").during(Duration.ofMillis(500))
                    .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5))
                    .until(() -> !FreePorts.isAccepting(port) && !started.isDone());
            Files.createFile(gate);
            await().atMost(Duration.ofSeconds(20)).until(started::isDone);
            assertThat(started.get().routerStatus().state()).isEqualTo(RouterStatus.State.RUNNING);
            assertThat(RawHttp.to(backend.url()).get("/health").status()).isEqualTo(200);
        } finally {
            backend.stop();
        }
    }
}
