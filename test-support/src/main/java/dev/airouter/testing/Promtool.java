package dev.airouter.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Prometheus's own linter, {@code promtool check metrics}, run as a child process on a text
 * exposition (what a {@code /metrics} endpoint answers), so a test checks the format with the tool
 * Prometheus users check it with.
 *
 * <pre>{@code
 * Promtool.require().assertClean(httpGet("/metrics"));
 * }</pre>
 *
 * <p>What {@code promtool check metrics} (Debian's {@code prometheus} 2.42) does with its stdin:
 *
 * <ul>
 *   <li>exit 0 and prints nothing: no finding (an empty input included);
 *   <li>exit 3 and one line per lint problem on stderr, {@code <metric name> <problem>}, e.g. {@code
 *       demo_requests_total no help text}, {@code demo_requests counter metrics should have "_total"
 *       suffix}, {@code demo_total non-counter metrics should not have "_total" suffix}, {@code
 *       demo_latency_milliseconds use base unit "seconds" instead of "milliseconds"}, {@code foo_ms
 *       metric names should not contain abbreviated units}, {@code g_counter metric name should not
 *       include type 'counter'}, {@code fooBar_seconds metric names should be written in 'snake_case' not
 *       'camelCase'};
 *   <li>exit 1 and {@code error while linting: text format parsing error in line N: …} on stderr when
 *       the text does not parse.
 * </ul>
 *
 * <p>{@link #assertClean} therefore fails on a non-zero exit or on any output at all. Series that
 * repeat the same labels are not reported by this version.
 *
 * <p>When {@code promtool} is neither on the {@code PATH} nor in {@code /usr/bin}, {@link #require()}
 * skips the test, or fails it when the {@code CI} environment variable is set ({@code apt-get install
 * -y prometheus} provides it). Instances are immutable and thread-safe.
 */
public final class Promtool {
    /** How long {@link #checkMetrics} lets {@code promtool} run before killing it. */
    public static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** {@code promtool check metrics}'s exit code when it found lint problems. */
    public static final int EXIT_LINT_PROBLEMS = 3;
    private static final String EXECUTABLE = "promtool";

    private final Path executable;

    private Promtool(Path executable) {
        this.executable = executable;
    }

    /**
     * Finds {@code promtool}, or skips the calling test (fails it when {@code CI} is set).
     *
     * @return a handle to run it
     */
    public static Promtool require() {
        return new Promtool(Programs.require(EXECUTABLE, "apt-get install -y prometheus"));
    }

    /** @return the {@code promtool} executable this runs */
    public Path executable() {
        return executable;
    }

    /**
     * Runs {@code promtool check metrics} with {@code exposition} on its stdin.
     *
     * @param exposition a Prometheus text exposition
     * @return promtool's exit code and its stdout and stderr together
     * @throws IllegalStateException if it runs longer than {@link #TIMEOUT} (it is then killed)
     */
    public Result checkMetrics(String exposition) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("airouter-promtool-");
            Path input = Files.writeString(dir.resolve("exposition.prom"), exposition, StandardCharsets.UTF_8);
            Path output = dir.resolve("output.txt");
            // files on both ends: no pipe to drain, nothing to block on but the process itself
            Process process = new ProcessBuilder(executable.toString(), "check", "metrics")
                    .redirectInput(input.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
            boolean exited;
            try {
                exited = process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                stop(process);
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for promtool", e);
            }
            if (!exited) {
                stop(process);
                throw new IllegalStateException("promtool check metrics (pid " + process.pid()
                        + ") did not finish within " + TIMEOUT.toMillis() + " ms and was killed; output so far:\n"
                        + Files.readString(output, StandardCharsets.UTF_8));
            }
            return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + executable + " check metrics", e);
        } finally {
            deleteDirectory(dir);
        }
    }

    /**
     * Runs {@link #checkMetrics} and fails unless promtool found nothing.
     *
     * @param exposition a Prometheus text exposition
     * @throws AssertionError with promtool's exit code and output (and the exposition, shortened) if it
     *     exited non-zero or printed anything
     */
    public void assertClean(String exposition) {
        Result result = checkMetrics(exposition);
        if (!result.clean()) {
            throw new AssertionError("promtool check metrics found problems (exit " + result.exitCode() + "):\n"
                    + result.output().strip() + "\nin this exposition (" + exposition.length() + " chars):\n"
                    + shorten(exposition));
        }
    }

    @Override
    public String toString() {
        return "Promtool[" + executable + "]";
    }

    /**
     * What one {@code promtool check metrics} run said.
     *
     * @param exitCode 0 when clean, {@value Promtool#EXIT_LINT_PROBLEMS} for lint problems, 1 for a parse error
     * @param output its stdout and stderr together
     */
    public record Result(int exitCode, String output) {
        /** @return whether it exited 0 and printed nothing */
        public boolean clean() {
            return exitCode == 0 && output.isBlank();
        }

        /** @return the non-blank lines of the output, one per problem, e.g. {@code foo no help text} */
        public List<String> problems() {
            return output.lines().map(String::strip).filter(line -> !line.isEmpty()).toList();
        }
    }

    private static void stop(Process process) {
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String shorten(String exposition) {
        int max = 4000;
        return exposition.length() <= max ? exposition : exposition.substring(0, max) + "\n… ("
                + (exposition.length() - max) + " more chars)";
    }

    private static void deleteDirectory(Path directory) {
        if (directory == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temporary directory is harmless
        }
    }
}
