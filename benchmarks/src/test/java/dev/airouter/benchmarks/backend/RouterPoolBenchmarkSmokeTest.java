package dev.airouter.benchmarks.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.testing.NoLeftoverProcesses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One round of every part with short phases, so `mvn verify` proves the benchmark still produces its
 * figures and leaves no process behind; no figure is asserted. Without a launcher jar of the commit
 * before the pool, the dispatch cost is reported without its comparison.
 */
@ExtendWith(NoLeftoverProcesses.class)
class RouterPoolBenchmarkSmokeTest {
    private static final Path JAR = Path.of("..").toAbsolutePath().normalize().resolve(RouterPoolBenchmark.JAR);

    @Test
    void oneRoundOfEveryPartProducesItsFiguresAndLeavesNothing() throws Exception {
        if (!Files.isRegularFile(JAR)) {
            if (System.getenv("CI") != null) {
                throw new AssertionError(JAR + " is missing but CI is set: build the launcher in the same reactor"
                        + " (mvn -B verify)");
            }
            Assumptions.abort(JAR + " not built (run mvn -B verify from the root)");
        }
        RouterPoolBenchmark benchmark = new RouterPoolBenchmark(JAR, Optional.empty(), 1, Duration.ofSeconds(1),
                Duration.ofSeconds(1));
        String report = benchmark.runAll();
        System.out.println(report);

        assertThat(benchmark.rows()).hasSize(8);
        assertThat(benchmark.rows()).allSatisfy(cells -> assertThat(cells).hasSize(5).doesNotContainNull());
        assertThat(report).contains("`--routers 2` vs (b) two routers driven directly", "`--routers 1` vs (a) one router",
                "`--routers 2` / `--routers 1`", "CPU cores the routers kept busy", "failed requests (all rounds)", "p99 latency in the crash window",
                "backend CPU per chat request", "round 1: killed replica #1", "fixture router: ");
    }
}
