package dev.airouter.benchmarks.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.testing.NoLeftoverProcesses;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One reload of each kind with a 1 s router start and short windows, so `mvn verify` proves the
 * benchmark still produces its figures and leaves no process behind. The one figure asserted is the
 * contract itself: a blue/green reload fails no request.
 */
@ExtendWith(NoLeftoverProcesses.class)
class ReloadBenchmarkSmokeTest {

    @Test
    void oneReloadOfEachKindProducesItsFigures() throws Exception {
        Path routerDir = Path.of("../python-router").toAbsolutePath().normalize();
        String report = new ReloadBenchmark(routerDir, 1, Duration.ofSeconds(1), Duration.ofSeconds(2),
                Duration.ofSeconds(1)).report(List.of(1));
        System.out.println(report);
        assertThat(report).contains("| 1 s | blue/green | 0 of ", "| 1 s | stop, then start (peer) |",
                "start  1 s, blue/green       generation 2: serving after",
                "start  1 s, stop-then-start  generation 2: serving after");
    }
}
