package dev.airouter.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.FreePorts;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.Processes;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The orphan guarantee: a JVM using the library is killed with SIGKILL (no shutdown hook runs), and
 * every process it started — grandchildren and SIGTERM-ignorers included — must be gone within
 * 2 s. Asserted with a 2× deadline for a loaded machine; the tight figure is in benchmarks/.
 */
@ExtendWith(NoLeftoverProcesses.class)
class KillDashNineTest {
    static final Duration PROMISE = Duration.ofSeconds(2);
    @TempDir Path logs;

    @Test
    void nothingSurvivesKillDashNineOfTheJvm() throws Exception {
        assertNothingSurvives(List.of("ready", logs.toString()));
    }

    @Test
    void nothingSurvivesKillDashNineWhileAStartWaitsForReadiness() throws Exception {
        assertNothingSurvives(List.of("starting", logs.toString(), Integer.toString(FreePorts.next())));
    }

    @Test
    void nothingSurvivesKillDashNineOfAJvmRunningAPoolOfThreeWhoseReplicasForkGrandchildren() throws Exception {
        assertNothingSurvives(List.of("pool", logs.toString()));
    }

    private void assertNothingSurvives(List<String> args) throws Exception {
        Path harnessLog = logs.resolve("harness.err");
        Process harness = startHarness(args, harnessLog);
        Set<Long> started = new TreeSet<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(harness.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.equals("HARNESS READY")) {
                // skip anything else the harness prints
            }
            assertThat(line).as(() -> "harness output; its stderr:\n" + read(harnessLog)).isEqualTo("HARNESS READY");
            // wait until the forked trees are complete, then take everything below the harness
            // tree 5 and stubborn 2 (with their lifeline watchers); a starting slow server 4; a pool 3 × 4
            int expected = 5 + 2 + (args.get(0).equals("starting") ? 4 : args.get(0).equals("pool") ? 12 : 0);
            await().atMost(Duration.ofSeconds(10)).until(() -> descendants(harness).size() >= expected);
            started.addAll(descendants(harness));
        } finally {
            harness.destroyForcibly(); // SIGKILL
        }
        assertThat(harness.waitFor(5, TimeUnit.SECONDS)).isTrue();
        long killedAt = System.nanoTime();
        await().atMost(PROMISE.multipliedBy(2)).pollInterval(Duration.ofMillis(10))
                .until(() -> started.stream().noneMatch(Processes::isAlive));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        System.out.printf("kill -9 (%s): %d processes gone %d ms after the JVM died%n", args.get(0), started.size(), millis);
    }

    private static Set<Long> descendants(Process harness) {
        return harness.toHandle().descendants().map(ProcessHandle::pid)
                .filter(Processes::isAlive).collect(Collectors.toCollection(TreeSet::new));
    }

    private static String read(Path file) {
        try {
            return java.nio.file.Files.readString(file);
        } catch (java.io.IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static Process startHarness(List<String> args, Path stderr) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", OrphanHarness.class.getName()));
        command.addAll(args);
        return new ProcessBuilder(command).redirectError(stderr.toFile()).start();
    }
}
