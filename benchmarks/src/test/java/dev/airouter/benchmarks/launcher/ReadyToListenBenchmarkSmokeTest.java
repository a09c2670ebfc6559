package dev.airouter.benchmarks.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.testing.NoLeftoverProcesses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** One start, so `mvn verify` proves the benchmark still finds its figures; no timing is asserted. */
@ExtendWith(NoLeftoverProcesses.class)
class ReadyToListenBenchmarkSmokeTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @Test
    void oneStartProducesBothFiguresAndLeavesNothing() throws Exception {
        if (!Files.isRegularFile(REPO.resolve(ReadyToListenBenchmark.JAR))) {
            if (System.getenv("CI") != null) {
                throw new AssertionError(ReadyToListenBenchmark.JAR + " is missing but CI is set: build the launcher"
                        + " in the same reactor (mvn -B verify)");
            }
            Assumptions.abort(ReadyToListenBenchmark.JAR + " not built (run mvn -B verify from the root)");
        }
        List<ReadyToListenBenchmark.Start> starts = ReadyToListenBenchmark.measure(REPO, 1);
        String report = ReadyToListenBenchmark.report(starts);
        System.out.println(report);

        assertThat(starts).singleElement().satisfies(start -> {
            assertThat(start.routerListening()).isNotNull();
            assertThat(start.portOpen()).isNotNull();
            assertThat(start.attempts()).isPositive();
            assertThat(start.exitCode()).isZero();
        });
        assertThat(report).contains("router \"listening since\" -> backend port accepts a connection",
                "backend banner", "(n=1)");
    }
}
