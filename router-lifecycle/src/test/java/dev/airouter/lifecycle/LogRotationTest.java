package dev.airouter.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.testing.Fixtures;
import dev.airouter.testing.NoLeftoverProcesses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(NoLeftoverProcesses.class)
class LogRotationTest {
    @TempDir Path logs;

    @Test
    void floodingChildRotatesTheLogWithinItsBound() throws Exception {
        long maxBytes = 256 * 1024;
        ProcessConfig config = TestProcesses.command(logs, "flood", Fixtures.flood(50_000, 100))
                .readiness(ReadinessCheck.logLine("^flood done$"))
                .logRotation(maxBytes, 2)
                .build();
        try (ManagedProcess p = ManagedProcess.create(config)) {
            p.ensureRunning();
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(logs)) {
            files = s.sorted().toList();
        }
        assertThat(files).extracting(f -> f.getFileName().toString())
                .containsExactly("flood.log", "flood.log.1", "flood.log.2");
        for (Path f : files) {
            assertThat(Files.size(f)).isLessThanOrEqualTo(maxBytes);
        }
        // the newest file holds the end of the output, whole lines only
        List<String> newest = Files.readAllLines(logs.resolve("flood.log"));
        assertThat(newest).contains("flood done");
        assertThat(newest).filteredOn(l -> l.startsWith("000")).allMatch(l -> l.length() == 109);
    }
}
