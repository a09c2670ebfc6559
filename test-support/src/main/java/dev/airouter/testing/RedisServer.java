package dev.airouter.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A real {@code redis-server} child process on a free loopback port, for tests and benchmarks.
 *
 * <p>It runs {@code redis-server --port P --bind 127.0.0.1 --save "" --appendonly no} plus any extra
 * arguments, in a private temporary directory, logging to {@code redis.log} there. {@link #start}
 * returns once the server answers {@code PING}. {@link #kill()} sends SIGKILL (a crash), {@link
 * #restart()} brings it back on the same port with the same arguments, {@link #close()} stops it by
 * pid. Instances are not thread-safe; one test drives one server.
 *
 * <p>When {@code redis-server} is not installed, {@link #start} skips the test through a JUnit
 * assumption, or fails it when the {@code CI} environment variable is set.
 */
public final class RedisServer implements AutoCloseable {
    /** How long {@link #start} and {@link #restart()} wait for {@code PING} to answer. */
    public static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(10);
    private static final String EXECUTABLE = "redis-server";

    private final int port;
    private final Path configFile; // null: none; a sentinel must have one, and rewrites it
    private final List<String> extraArgs;
    private final Path directory;
    private Process process;
    private Thread reaper;

    private RedisServer(int port, Path configFile, List<String> extraArgs, Path directory) {
        this.port = port;
        this.configFile = configFile;
        this.extraArgs = List.copyOf(extraArgs);
        this.directory = directory;
    }

    /**
     * Starts a server on a free loopback port and waits until it answers {@code PING}.
     *
     * @param extraArgs more {@code redis-server} arguments, e.g. {@code "--appendonly", "yes"} or
     *     {@code "--requirepass", "secret"}
     * @return the running server; close it to stop it
     * @throws IllegalStateException if the server does not come up within {@link #STARTUP_TIMEOUT}
     */
    public static RedisServer start(String... extraArgs) {
        return start(null, List.of(extraArgs));
    }

    /**
     * Starts a server that reads {@code configFile} first, then the usual arguments and {@code
     * extraArgs}, e.g. a sentinel ({@code "--sentinel"}), which needs a config file it can rewrite.
     */
    static RedisServer startWithConfig(Path configFile, String... extraArgs) {
        return start(configFile, List.of(extraArgs));
    }

    /**
     * Starts a server whose extra arguments are made anew for each attempt to find a free port, e.g. a
     * cluster node's {@code --cluster-port}, which another process may take as well as the main port.
     * A {@link #restart()} reuses the arguments of the attempt that succeeded.
     */
    static RedisServer start(Supplier<List<String>> extraArgs) {
        return start(null, extraArgs);
    }

    private static RedisServer start(Path configFile, List<String> extraArgs) {
        return start(configFile, () -> extraArgs);
    }

    private static RedisServer start(Path configFile, Supplier<List<String>> extraArgs) {
        assumeInstalled();
        try {
            Path dir = Files.createTempDirectory("airouter-redis-");
            IllegalStateException last = null;
            for (int attempt = 0; attempt < 3; attempt++) { // a free port can be taken before we bind it
                RedisServer server = new RedisServer(FreePorts.next(), configFile, extraArgs.get(), dir);
                try {
                    server.launch();
                    return server;
                } catch (IllegalStateException e) {
                    server.kill();
                    last = e;
                }
            }
            throw last;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for redis-server", e);
        }
    }

    /**
     * Skips the calling test when {@code redis-server} is missing, or fails it when {@code CI} is set.
     */
    public static void assumeInstalled() {
        Programs.assumeInstalled(EXECUTABLE, "apt-get install -y redis-server");
    }

    /** @return whether {@code redis-server} is found on the {@code PATH} */
    public static boolean isInstalled() {
        return Programs.onPath(EXECUTABLE).isPresent();
    }

    /** @return the TCP port on 127.0.0.1 */
    public int port() {
        return port;
    }

    /** @return {@code redis://127.0.0.1:PORT} */
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** @return the pid of the current server process */
    public long pid() {
        return process.pid();
    }

    /** @return whether the server process is running */
    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * Sends one command over a fresh connection and returns the reply (see {@link RedisResp#call}).
     *
     * @param args the command and its arguments, e.g. {@code "CLIENT", "KILL", "TYPE", "normal"}
     * @return the decoded reply
     */
    public Object command(String... args) {
        try (RedisResp client = RedisResp.connect(port, Duration.ofSeconds(2))) {
            return client.call(args);
        }
    }

    /** Kills the server with SIGKILL (no shutdown, no save) and waits until it has exited. */
    public void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        removeReaper();
    }

    /** Starts the server again on the same port with the same arguments, after {@link #kill()}. */
    public void restart() {
        kill();
        launch();
    }

    /** Stops the server (SIGTERM, then SIGKILL after 5 s) and deletes its directory; idempotent. */
    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    kill();
                }
            } catch (InterruptedException e) {
                kill();
                Thread.currentThread().interrupt();
            }
        }
        removeReaper();
        deleteDirectory();
    }

    @Override
    public String toString() {
        return "RedisServer[" + url() + (process == null ? "" : ", pid " + process.pid()) + "]";
    }

    private void launch() {
        List<String> command = new ArrayList<>(List.of(EXECUTABLE));
        if (configFile != null) {
            command.add(configFile.toString()); // redis-server takes a config file as its first argument only
        }
        command.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--daemonize", "no", "--dir", directory.toString()));
        command.addAll(extraArgs);
        Path log = directory.resolve("redis.log");
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
        Process started = process;
        reaper = new Thread(started::destroyForcibly, "redis-server-reaper-" + port);
        Runtime.getRuntime().addShutdownHook(reaper); // a test JVM that exits early leaves no server
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!started.isAlive()) {
                throw new IllegalStateException("redis-server on port " + port + " exited with code "
                        + started.exitValue() + "; log:\n" + tail(log));
            }
            if (RedisResp.answersPing(port)) {
                return;
            }
            try {
                Thread.sleep(10); // polling a port; nothing to wait on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for redis-server", e);
            }
        }
        throw new IllegalStateException("redis-server on port " + port + " did not answer PING within "
                + STARTUP_TIMEOUT.toMillis() + " ms; log:\n" + tail(log));
    }

    private void removeReaper() {
        if (reaper != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down; the hook kills the (dead) process again, harmlessly
            }
            reaper = null;
        }
    }

    /** @return the last 20 lines of this server's log, for error messages */
    String logTail() {
        return tail(directory.resolve("redis.log"));
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private void deleteDirectory() {
        try (var paths = Files.walk(directory)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temporary directory is harmless
        }
    }
}
