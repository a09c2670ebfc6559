package dev.airouter.lifecycle;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.regex.Pattern;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteException;
import org.apache.commons.exec.ExecuteResultHandler;

/**
 * One spawned process: launched through commons-exec, in its own session and process group, with
 * the lifeline watcher beside it.
 *
 * <h2>The lifeline (no orphans after kill -9 of the JVM)</h2>
 * The command is started as {@code setsid sh -c WRAPPER WATCHER command args…}. {@code setsid}
 * makes it the leader of a new session and process group (so a terminal's Ctrl+C reaches only the
 * JVM). The wrapper forks the watcher with the JVM's stdin pipe, then {@code exec}s the command
 * with stdin from {@code /dev/null}: the pid the JVM sees, reports and waits for is the command's own,
 * and so is the exit code. The watcher ({@code sh}, in a session of its own, ignoring SIGTERM)
 * blocks reading the pipe. Only the JVM holds the write end, so the pipe reaches EOF exactly when
 * the JVM is gone — however it died, SIGKILL included — or when we close it on purpose. On EOF the
 * watcher sends SIGTERM to the command's process group, waits up to 0.5 s, then SIGKILLs it. The
 * watcher neither waits for nor reaps the command, so a crash is still seen by the JVM at once.
 * Limits: descendants that leave the process group ({@code setsid}, daemonizing) escape it; it
 * needs {@code sh} and {@code setsid} (Linux: util-linux). Without them the command is spawned
 * directly and only normal stops and shutdown hooks clean up.
 */
final class Child {
    private static final Optional<Path> SETSID = posix("setsid");
    private static final Optional<Path> SH = posix("sh");
    private static final String WATCHER = "trap '' TERM INT HUP; while read -r _; do :; done; "
            + "kill -TERM -\"$1\" 2>/dev/null || exit 0; i=0; "
            + "while [ $i -lt 5 ]; do sleep 0.1; kill -0 -\"$1\" 2>/dev/null || exit 0; i=$((i+1)); done; "
            + "kill -KILL -\"$1\" 2>/dev/null; exit 0";
    /**
     * $0 is the watcher script and $1 the mark that names the watcher (passed as an argument, so
     * the wrapper's own command line never contains it as a word of its own); the rest is the command.
     */
    private static final String WRAPPER = "w=$0; m=$1; shift; exec 3<&0; "
            + "(exec setsid sh -c \"$w\" \"$m\" $$) <&3 >/dev/null 2>&1 & exec \"$@\" 3<&- </dev/null";

    final Process process;
    final long pid;
    final long pgid;
    final boolean lifeline;
    final OutputPump pump;
    final CompletableFuture<Integer> exit;
    final Instant startedAt;
    volatile boolean killedByLiveness;
    volatile boolean oneShot;

    private Child(Process process, boolean ownGroup, boolean lifeline, OutputPump pump,
            CompletableFuture<Integer> exit, Instant startedAt) {
        this.process = process;
        this.pid = process.pid();
        this.pgid = ownGroup ? pid : -1;
        this.lifeline = lifeline;
        this.pump = pump;
        this.exit = exit;
        this.startedAt = startedAt;
    }

    static boolean lifelineSupported() {
        return SETSID.isPresent() && SH.isPresent();
    }

    static Child spawn(ProcessConfig config, LogLines log, ThreadFactory threads, Instant now)
            throws InterruptedException {
        boolean ownGroup = SETSID.isPresent();
        boolean lifeline = config.lifeline() && lifelineSupported();
        List<String> argv = new ArrayList<>();
        if (lifeline) {
            argv.addAll(List.of(SETSID.get().toString(), SH.get().toString(), "-c", WRAPPER, WATCHER,
                    ProcessTree.LIFELINE_MARK));
        } else if (ownGroup) {
            argv.add(SETSID.get().toString());
        }
        argv.addAll(config.command());
        CommandLine line = new CommandLine(argv.get(0));
        for (String arg : argv.subList(1, argv.size())) {
            line.addArgument(arg, false);
        }
        Map<String, String> env = new LinkedHashMap<>(System.getenv());
        env.putIfAbsent("PYTHONUNBUFFERED", "1");
        env.putAll(config.environment());

        List<Pattern> patterns = new ArrayList<>();
        config.readiness().stream().filter(r -> r instanceof ReadinessChecks.LogLine)
                .forEach(r -> patterns.add(((ReadinessChecks.LogLine) r).pattern()));
        OutputPump pump = new OutputPump(log, config.outputListener().orElse(null), threads, patterns);
        CompletableFuture<Process> launched = new CompletableFuture<>();
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        DefaultExecutor capturing = new CapturingExecutor(threads, launched,
                config.workingDirectory().map(Path::toFile).orElse(new File(System.getProperty("user.dir"))));
        capturing.setStreamHandler(pump);
        capturing.setExitValues(null); // every exit code is a result we report, not an exception
        try {
            capturing.execute(line, env, new ExecuteResultHandler() {
                @Override
                public void onProcessComplete(int exitValue) {
                    exit.complete(exitValue);
                }

                @Override
                public void onProcessFailed(ExecuteException e) {
                    if (launched.isDone() && !launched.isCompletedExceptionally()) {
                        exit.complete(e.getExitValue());
                    } else {
                        launched.completeExceptionally(e.getCause() != null ? e.getCause() : e);
                        exit.completeExceptionally(e);
                    }
                }
            });
        } catch (IOException e) {
            throw new LifecycleException("cannot start '" + config.name() + "' (" + String.join(" ", config.command())
                    + "): " + e.getMessage(), e);
        }
        Process process;
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    process = launched.get();
                    break;
                } catch (InterruptedException e) {
                    // commons-exec may already have forked: wait for the launch so the caller can
                    // stop what was started, then report the interrupt
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new LifecycleException("cannot start '" + config.name() + "': " + String.join(" ", config.command())
                    + " failed to launch: " + cause.getMessage()
                    + " (check the executable, its permissions and the working directory "
                    + config.workingDirectory().map(Path::toString).orElse(System.getProperty("user.dir")) + ")",
                    cause);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        log.header(now, "started pid " + process.pid() + " in "
                + config.workingDirectory().map(Path::toString).orElse(System.getProperty("user.dir")) + ": "
                + String.join(" ", config.command()));
        return new Child(process, ownGroup, lifeline, pump, exit, now);
    }

    /** Closes the lifeline on purpose; the watcher then takes down whatever is left in the group. */
    void closeLifeline() {
        pump.closeStdin();
    }

    boolean isAlive() {
        return !exit.isDone() && ProcessTree.isAlive(pid);
    }

    private static Optional<Path> posix(String name) {
        if (Executables.isWindows()) {
            return Optional.empty();
        }
        for (String dir : new String[] {"/usr/bin", "/bin", "/usr/sbin", "/sbin"}) {
            Path p = Path.of(dir, name);
            if (java.nio.file.Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Executables.find(name, Map.of(), null);
    }

    /**
     * A DefaultExecutor that hands out the {@link Process} it launches (commons-exec hides it, and
     * we need the pid). Its builder cannot make subclasses, hence the deprecated constructor.
     */
    @SuppressWarnings("deprecation")
    private static final class CapturingExecutor extends DefaultExecutor {
        private final ThreadFactory threads;
        private final CompletableFuture<Process> launched;

        CapturingExecutor(ThreadFactory threads, CompletableFuture<Process> launched, File workingDirectory) {
            this.threads = threads;
            this.launched = launched;
            setWorkingDirectory(workingDirectory);
        }

        @Override
        protected Thread createThread(Runnable runnable, String name) {
            return threads.newThread(runnable);
        }

        @Override
        protected Process launch(CommandLine command, Map<String, String> env, Path dir) throws IOException {
            return capture(() -> super.launch(command, env, dir));
        }

        @Override
        protected Process launch(CommandLine command, Map<String, String> env, File dir) throws IOException {
            return capture(() -> super.launch(command, env, dir));
        }

        /** commons-exec may route one overload through the other; completing twice is harmless. */
        private Process capture(Launch launch) throws IOException {
            try {
                Process p = launch.run();
                launched.complete(p);
                return p;
            } catch (IOException | RuntimeException e) {
                launched.completeExceptionally(e);
                throw e;
            }
        }
    }

    @FunctionalInterface
    private interface Launch {
        Process run() throws IOException;
    }
}
