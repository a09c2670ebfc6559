package dev.airouter.benchmarks.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.testing.NoLeftoverProcesses;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Two saves in {@code dev}, so `mvn verify` proves the benchmark still runs; no figure is asserted. */
@ExtendWith(NoLeftoverProcesses.class)
class DevReloadBenchmarkSmokeTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @Test
    void twoSavesProduceTheFigures() throws Exception {
        Path jar = REPO.resolve("launcher/target/launcher.jar");
        if (!Files.isRegularFile(jar)) {
            if (System.getenv("CI") != null) {
                throw new AssertionError(jar + " is missing but CI is set: build the launcher in the same reactor"
                        + " (mvn -B verify)");
            }
            Assumptions.abort(jar + " not built (run mvn -B verify from the root)");
        }
        String report = DevReloadBenchmark.run(REPO, 2);
        System.out.println(report);
        assertThat(report).contains("| router cold start (spawn → healthy) |", "| dev: save → new code answering |",
                "save → new code (ms): [");
    }
}
