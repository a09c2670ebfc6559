package dev.airouter.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.lifecycle.ReplicaEvent;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RawHttp;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The README's embedding example, as it is printed there (except port 0, a test log dir and no join). */
@ExtendWith(NoLeftoverProcesses.class)
class ReadmeExampleTest {

    @Test
    void embeddingExampleRuns() throws InterruptedException {
        BackendConfig config = BackendConfig.builder()
                .port(0)                                        // README: 3002; 0 = any free port
                .routerDirectory(Path.of("../python-router"))   // README: python-router; holds ai_router
                .routerPort(0)                                  // not in the README: tests never use 8888
                .logDir(TestBackends.tempDir())                 // not in the README: default ./logs
                .corsOrigins(List.of("http://localhost:5173"))
                .build();
        try (ChatBackend backend = ChatBackend.create(config).start()) { // store → router ready → listening
            System.out.println("chat API at " + backend.url() + ", router " + backend.routerStatus().state());
            backend.addRouterListener(e -> {
                if (e.kind() == ReplicaEvent.Kind.DOWN) {
                    System.err.println("router #" + e.replica().index() + " is down: " + e.cause());
                }
            });
            assertThat(RawHttp.to(backend.url()).get("/health").status()).isEqualTo(200);
        }
    }
}
