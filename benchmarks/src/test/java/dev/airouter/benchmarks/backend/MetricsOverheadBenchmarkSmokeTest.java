package dev.airouter.benchmarks.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.testing.NoLeftoverProcesses;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One short round of {@link MetricsOverheadBenchmark}, so {@code mvn verify} proves it still runs
 * (both backends answer, /metrics is served by one and refused by the other) and leaves no process
 * behind; no figure is asserted.
 */
@ExtendWith(NoLeftoverProcesses.class)
class MetricsOverheadBenchmarkSmokeTest {
    private static final Path JAR = Path.of("..").toAbsolutePath().normalize().resolve("launcher/target/launcher.jar");

    @Test
    void oneRoundProducesItsTable() throws Exception {
        if (!Files.isRegularFile(JAR)) {
            if (System.getenv("CI") != null) {
                throw new AssertionError(JAR + " is missing but CI is set: build the launcher in the same reactor"
                        + " (mvn -B verify)");
            }
            Assumptions.abort(JAR + " not built (run mvn -B verify from the root)");
        }
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        System.setProperty("bench.settleSteps", "1");
        try {
            // two forks: the second starts the backends and opens the connections in the other order
            MetricsOverheadBenchmark.main(new String[] {JAR.toString(), "1", "1", "1", "1", "500", "2"});
        } finally {
            System.setOut(stdout);
            System.clearProperty("bench.settleSteps");
        }
        String report = captured.toString(StandardCharsets.UTF_8);
        System.out.println(report);
        assertThat(report).contains("| fork | round | metrics on", "| 1 | 1 | ", "| 2 | 1 | ",
                "On/off ratio per round: median", "On/off ratio per fork");
    }
}
