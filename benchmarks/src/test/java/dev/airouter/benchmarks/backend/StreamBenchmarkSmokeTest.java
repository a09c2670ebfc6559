package dev.airouter.benchmarks.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.testing.NoLeftoverProcesses;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One short round of every streaming figure, so `mvn verify` proves the benchmark still produces
 * them and leaves no process behind; the figures themselves come from the full run.
 */
@ExtendWith(NoLeftoverProcesses.class)
class StreamBenchmarkSmokeTest {

    @Test
    void oneShortRoundProducesEveryFigure() throws Exception {
        Path routerDir = Path.of("../python-router").toAbsolutePath().normalize();
        String report = StreamBenchmark.run(routerDir, 1, 3, 1, 5, 10);
        System.out.println(report);
        assertThat(report).contains("| time to first delta", "| disconnect → the model sees the abandon, model silent",
                "| memory per open stream (5 open", "| 1 | ", "| 32 | ");
    }
}
