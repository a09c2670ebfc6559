package dev.airouter.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.testing.NoLeftoverProcesses;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Micrometer is an optional dependency ({@link PoolConfig.Builder#meterRegistry}): a pool must work in
 * a JVM that does not have it. This JVM has it (the meter tests need it), so the proof runs
 * {@link WithoutMicrometerHarness} in a child JVM whose class path is this one's minus every Micrometer jar.
 */
@ExtendWith(NoLeftoverProcesses.class)
class WithoutMicrometerTest {
    @TempDir Path logs;

    @Test
    void aPoolStartsReplacesAndClosesInAJvmWithoutMicrometer() throws Exception {
        List<String> classPath = Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator));
        List<String> withoutMicrometer = classPath.stream()
                .filter(entry -> !Path.of(entry).getFileName().toString().startsWith("micrometer-")).toList();
        assertThat(withoutMicrometer).as("the class path had Micrometer jars to leave out")
                .hasSizeLessThan(classPath.size());

        String java = ProcessHandle.current().info().command().orElseThrow();
        Path output = logs.resolve("harness.out");
        Process harness = new ProcessBuilder(java, "-cp", String.join(File.pathSeparator, withoutMicrometer),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", WithoutMicrometerHarness.class.getName(),
                logs.toString())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            assertThat(harness.waitFor(60, TimeUnit.SECONDS)).as("the harness finished within 60 s").isTrue();
        } finally {
            harness.destroyForcibly();
        }
        String printed = Files.readString(output, StandardCharsets.UTF_8);
        assertThat(harness.exitValue()).as(printed).isZero();
        assertThat(printed).contains("OK").doesNotContain("NoClassDefFoundError");
    }
}
