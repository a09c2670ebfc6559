package dev.airouter.benchmarks.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.testing.NoLeftoverProcesses;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One short round of {@link StoreTopologyBenchmark}, so `mvn verify` proves it still starts its Redis
 * setups, produces every row and leaves no process behind; no timing is asserted.
 */
@ExtendWith(NoLeftoverProcesses.class)
class StoreTopologyBenchmarkSmokeTest {
    @Test
    void oneRoundProducesEveryRow() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            StoreTopologyBenchmark.main(new String[] {"1", "0.3", "0.3"});
        } finally {
            System.setOut(original);
        }
        String report = out.toString(StandardCharsets.UTF_8);
        System.out.println(report);
        assertThat(report).contains("| 1 | standalone |", "| 1 | sentinel |", "| 1 | sentinel + replicaAcks 1 |",
                "| 8 | standalone |", "| 8 | sentinel |", "| 8 | sentinel + replicaAcks 1 |", "| 1 | cluster (3 masters) |", "| 8 | cluster (3 masters) |",
                "1 thread(s) round 1:");
    }
}
