package dev.airouter.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Small real programs for process tests, as command lines ({@code python3 <script> args…}).
 *
 * <p>The scripts are copied once per JVM into a private temporary directory; every fixture process
 * (and every process it forks) carries that directory in its command line, which is how
 * {@link NoLeftoverProcesses} recognises them.
 */
public final class Fixtures {
    private static final String[] SCRIPTS = {
        "http_server.py", "crash.py", "ignore_term.py", "fork_tree.py", "flood.py", "cpu_router.py", "slow_start.py",
        "fake_llm.py"
    };
    private static volatile Path directory;
    private static volatile String python;

    private Fixtures() {}

    /** @return the directory holding the fixture scripts (created on first use) */
    public static Path directory() {
        Path dir = directory;
        if (dir == null) {
            synchronized (Fixtures.class) {
                dir = directory;
                if (dir == null) {
                    directory = dir = extract();
                }
            }
        }
        return dir;
    }

    /**
     * An HTTP server on 127.0.0.1:{@code port} whose {@code GET /health} answers 200
     * {@code {"status":"ok","service":service}} once {@code delayMillis} have passed.
     *
     * @param port the port to listen on
     * @param delayMillis how long to wait before listening
     * @param service the service name reported by {@code /health}
     * @param extraArgs more flags: {@code --ignore-term}, {@code --fork N}, {@code --exit-after-ms N}
     * @return the command line
     */
    public static List<String> httpServer(int port, long delayMillis, String service, String... extraArgs) {
        return httpServer(Integer.toString(port), delayMillis, service, extraArgs);
    }

    /**
     * {@link #httpServer(int, long, String, String...)} with the port as text: {@code "{port}"} for the
     * template of a process pool, which fills in each replica's. Its {@code /health} also reports
     * {@code "generation"} from {@code $AIROUTER_GENERATION}.
     *
     * @param port the port, or a placeholder
     * @param delayMillis how long to wait before listening
     * @param service the service name reported by {@code /health}
     * @param extraArgs more flags: {@code --ignore-term}, {@code --fork N}, {@code --exit-after-ms N},
     *     {@code --fail-generation G} (exit 3 at start in generation G), {@code --stall-generation G}
     *     (listen, but never healthy, in generation G)
     * @return the command line
     */
    public static List<String> httpServer(String port, long delayMillis, String service, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of(
                "--port", port, "--delay-ms", Long.toString(delayMillis), "--service", service));
        args.addAll(List.of(extraArgs));
        return python("http_server.py", args);
    }

    /**
     * A stand-in OpenAI-compatible language model on 127.0.0.1:{@code port} (0: a free port) that streams
     * its answer token by token and records every completion request, noticing at once when a client
     * abandons one (its {@code "outcome"} becomes {@code "abandoned"} and {@code "ended_ns"} the moment
     * that was seen, in wall-clock epoch nanoseconds, comparable with {@code Instant.now()} in a JVM).
     *
     * <p>It prints {@code fake-llm listening on 127.0.0.1:<port>} once listening and exits 0 on SIGTERM.
     * Endpoints: {@code GET /health}; {@code POST /v1/chat/completions} (and {@code /chat/completions}),
     * streamed as {@code data: {"choices":[{"delta":{"content":…}}]}} events ending with
     * {@code data: [DONE]} when the body has {@code "stream": true}; {@code GET}/{@code DELETE /requests}
     * (the records: {@code id, stream, started_ns, tokens_sent, outcome, ended_ns, messages});
     * {@code GET}/{@code POST /config} (change {@code tokens, rate, pause_after, pause_ms,
     * first_token_delay_ms, text} for later requests; 400 naming the field for a bad value).
     *
     * @param port the port to listen on, 0 for any free one
     * @param extraArgs more flags: {@code --tokens N} (default 20), {@code --rate R} (tokens per second,
     *     0 = no delay, the default), {@code --pause-after N --pause-ms MS} (a silence after N tokens),
     *     {@code --first-token-delay-ms MS}, {@code --text TEXT} (cut into word-sized tokens and cycled;
     *     the default has a newline, quotes, a backslash and an emoji), {@code --record FILE} (append one
     *     JSON line per finished request)
     * @return the command line
     */
    public static List<String> fakeLlm(int port, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("--port", Integer.toString(port)));
        args.addAll(List.of(extraArgs));
        return python("fake_llm.py", args);
    }

    /**
     * Prints {@code lines} lines to stdout, one fatal line to stderr, then exits with {@code exitCode}.
     *
     * @param exitCode the exit code
     * @param lines how many stdout lines to print first
     * @return the command line
     */
    public static List<String> crash(int exitCode, int lines) {
        return python("crash.py", List.of(Integer.toString(exitCode), Integer.toString(lines)));
    }

    /** @return a command that ignores SIGTERM, prints {@code ready} and sleeps until killed */
    public static List<String> ignoreTerm() {
        return python("ignore_term.py", List.of());
    }

    /**
     * A process that forks a chain of {@code depth} descendants that all sleep.
     *
     * @param depth levels below the command itself
     * @param extraArgs {@code --ignore-term}, {@code --hold-stdout} (the top exits, a grandchild
     *     keeps stdout open)
     * @return the command line
     */
    public static List<String> forkTree(int depth, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of(Integer.toString(depth)));
        args.addAll(List.of(extraArgs));
        return python("fork_tree.py", args);
    }

    /**
     * Writes {@code lines} lines of {@code width} characters as fast as possible, prints
     * {@code flood done}, then sleeps.
     *
     * @param lines number of lines
     * @param width characters per line
     * @return the command line
     */
    public static List<String> flood(int lines, int width) {
        return python("flood.py", List.of(Integer.toString(lines), Integer.toString(width)));
    }

    /**
     * Runs {@code command} after a delay standing in for a model load, as the same process (exec: the
     * pid, and so a {@code --lifeline ppid}, stay the same).
     *
     * @param delay how long the start takes
     * @param cpu keep one core busy for the delay (a model load is CPU work) rather than sleep
     * @param command what to run then
     * @return the command line
     */
    public static List<String> slowStart(java.time.Duration delay, boolean cpu, List<String> command) {
        List<String> args = new ArrayList<>(List.of(Double.toString(delay.toMillis() / 1000.0), cpu ? "cpu" : "sleep"));
        args.addAll(command);
        return python("slow_start.py", args);
    }

    /**
     * A CPU-bound router stand-in (port from {@code ROUTER_PORT}): {@code GET /health} answers like
     * ai-router, {@code POST /route} runs {@code loops} loops of pure-Python arithmetic holding the GIL
     * (like a classifier model: one process serves at most one core) and answers with the fields of the
     * router protocol. A query starting with {@code [no-cpu]} skips the loops.
     *
     * @param loops the work per {@code /route}; {@link #cpuRouterCalibration(double)} finds it for a CPU time
     * @return the command line
     */
    public static List<String> cpuRouter(long loops) {
        return python("cpu_router.py", List.of("--loops", Long.toString(loops)));
    }

    /**
     * A command that prints, and exits, the number of {@link #cpuRouter(long)} loops that take
     * {@code cpuMillis} of CPU time on this machine (the best of several timed runs).
     *
     * @param cpuMillis CPU time per {@code /route}
     * @return the command line
     */
    public static List<String> cpuRouterCalibration(double cpuMillis) {
        return python("cpu_router.py", List.of("--cpu-ms", Double.toString(cpuMillis), "--calibrate"));
    }

    /**
     * The real Python 3 interpreter behind {@code python3} on the PATH. Version-manager shims (pyenv)
     * are shell scripts that add hundreds of milliseconds to every start, which would distort
     * start-up timings, so the interpreter is resolved once.
     *
     * @return an absolute path to the interpreter, or {@code python3} if it cannot be resolved
     */
    public static String python() {
        String p = python;
        if (p == null) {
            python = p = resolvePython();
        }
        return p;
    }

    private static String resolvePython() {
        try {
            Process probe = new ProcessBuilder("python3", "-c", "import sys; print(sys.executable)")
                    .redirectErrorStream(true).start();
            String out = new String(probe.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            if (probe.waitFor() == 0 && !out.isEmpty() && Files.isExecutable(Path.of(out))) {
                return out;
            }
        } catch (IOException e) {
            return "python3";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "python3";
    }

    private static List<String> python(String script, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(python());
        command.add(directory().resolve(script).toString());
        command.addAll(args);
        return List.copyOf(command);
    }

    private static Path extract() {
        try {
            Path dir = Files.createTempDirectory("airouter-fixtures-");
            for (String script : SCRIPTS) {
                try (InputStream in = Fixtures.class.getResourceAsStream("fixtures/" + script)) {
                    if (in == null) {
                        throw new IllegalStateException("fixture script missing from test-support: " + script);
                    }
                    Files.copy(in, dir.resolve(script), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract fixture scripts", e);
        }
    }
}
