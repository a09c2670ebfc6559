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

    /**
     * The template of a {@link ProcessPool} named {@code pooled}: test-support's HTTP fixture on each
     * replica's port, whose health reports its generation, logging to {@code logDir/pooled.log}.
     */
    static ProcessConfig.Builder pooled(Path logDir, long delayMillis, String... extra) {
        return ProcessConfig.builder("pooled")
                .command(dev.airouter.testing.Fixtures.httpServer(ProcessPool.PORT, delayMillis, "pooled", extra))
                .healthCheck(HealthCheck.http("http://127.0.0.1:" + ProcessPool.PORT + "/health"))
                .stopGracePeriod(Duration.ofSeconds(2))
                .logFile(logDir.resolve("pooled.log"));
    }

    static ProcessConfig.Builder command(Path logDir, String name, List<String> command) {
        return ProcessConfig.builder(name).command(command).logFile(logDir.resolve(name + ".log"));
    }
}
