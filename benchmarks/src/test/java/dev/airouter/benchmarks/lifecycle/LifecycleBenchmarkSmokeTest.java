package dev.airouter.benchmarks.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One iteration of every lifecycle scenario, so `mvn verify` proves the benchmark still runs. */
class LifecycleBenchmarkSmokeTest {
    @TempDir Path logs;

    @Test
    void everyScenarioRunsOnce() throws Exception {
        LifecycleBenchmark benchmark = new LifecycleBenchmark(1, logs);
        String table = benchmark.runAll();
        System.out.println(table);
        assertThat(benchmark.rows()).hasSize(5);
        assertThat(table).contains("readiness overhead", "kill -9");
    }
}
