package dev.airouter.benchmarks.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.testing.NoLeftoverProcesses;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * One iteration of every pool scenario, with short start delays, so `mvn verify` proves the
 * benchmark still produces its figures and leaves no process behind; no timing is asserted.
 */
@ExtendWith(NoLeftoverProcesses.class)
class PoolBenchmarkSmokeTest {
    @TempDir Path logs;

    @Test
    void everyScenarioRunsOnceAndProducesItsFigures() throws Exception {
        PoolBenchmark benchmark = new PoolBenchmark(1, logs, Duration.ofMillis(200), Duration.ofMillis(500));
        String report = benchmark.runAll();
        System.out.println(report);

        assertThat(benchmark.rows()).hasSize(6);
        assertThat(benchmark.rows().values()).allSatisfy(cells -> assertThat(cells).hasSize(4).doesNotContainNull());
        assertThat(report).contains("start: pool of 4 vs one process", "longest stretch with no ready replica",
                "failed while the replica was still ready", "stale snapshot", "stop() of a pool of 4 trees", "(n=1)",
                "bench-replace replace 1 (g1 -> g2)", "bench-fixed replace 1 (g1 -> g2)");
    }
}
