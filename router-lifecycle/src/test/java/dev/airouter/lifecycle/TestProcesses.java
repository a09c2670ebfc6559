package dev.airouter.lifecycle;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Shared builders for the lifecycle tests. */
final class TestProcesses {
    private TestProcesses() {}

    static ProcessConfig.Builder http(Path logDir, int port, long delayMillis, String... extra) {
        return ProcessConfig.builder("fixture-http")
                .command(dev.airouter.testing.Fixtures.httpServer(port, delayMillis, "fixture", extra))
                .healthCheck(HealthCheck.http("http://127.0.0.1:" + port + "/health"))
                .logFile(logDir.resolve("fixture-http.log"))
                .stopGracePeriod(Duration.ofSeconds(2));
    }

    static ProcessConfig.Builder command(Path logDir, String name, List<String> command) {
        return ProcessConfig.builder(name).command(command).logFile(logDir.resolve(name + ".log"));
    }
}
