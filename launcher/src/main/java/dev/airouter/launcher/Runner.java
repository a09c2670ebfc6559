package dev.airouter.launcher;

import dev.airouter.backend.BackendConfig;
import dev.airouter.backend.ChatBackend;
import dev.airouter.backend.RouterStatus;
import dev.airouter.lifecycle.Executables;
import dev.airouter.lifecycle.HealthCheck;
import dev.airouter.lifecycle.ManagedProcess;
import dev.airouter.lifecycle.PortHolder;
import dev.airouter.lifecycle.ProcessConfig;
import dev.airouter.lifecycle.ProcessState;
import dev.airouter.lifecycle.ReplicaEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;

/**
 * Runs {@code dev} or {@code backend}: option checks, the claim on the log directory
 * ({@link LogDirLock}: one run per directory, taken before anything is written, spawned or bound),
 * pre-flight checks, start (backend in-process, router and frontend as supervised children in their
 * own process groups), the ready banner, then waits for Ctrl+C/SIGTERM (exit 0) or for a part to
 * die (exit 1), and stops everything in parallel.
 *
 * <p>Signals: the launcher handles SIGINT and SIGTERM itself and marks itself stopping before it
 * signals anything; a second signal forces an immediate exit (the lifeline watchers still take the
 * children down). Children never see the terminal's Ctrl+C: they run in their own sessions.
 */
final class Runner {
    static final Duration STOP_BUDGET = Duration.ofSeconds(5);

    private final RunOptions options;
    private final Frontend frontendOptions;
    private final boolean dev;
    private final boolean watch;
    private final CommandLine.Model.CommandSpec spec;
    private final Console console;
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final AtomicInteger signals = new AtomicInteger();
    private final List<Runnable> stoppers = new ArrayList<>();
    private volatile boolean stopping;
    private volatile boolean ready;
    private CompletableFuture<Void> stopped;
    private volatile ReloadTrigger reloads; // set once the backend exists
    private volatile RouterWatch routerWatch; // set once watching
    private volatile AdminToken token;

    /** Frontend settings for {@code dev}; null for {@code backend}. */
    record Frontend(int port, Path directory) {}

    /**
     * @param frontend the dev server's settings, or null for none
     * @param dev {@code dev} (SIGHUP stops) rather than {@code backend} (SIGHUP reloads the routers)
     * @param watch whether saving a file of the router's source tree reloads the router
     */
    Runner(RunOptions options, Frontend frontend, boolean dev, boolean watch, CommandLine.Model.CommandSpec spec,
            Console console) {
        this.options = options;
        this.frontendOptions = frontend;
        this.dev = dev;
        this.watch = watch;
        this.spec = spec;
        this.console = console;
    }

    int run() throws InterruptedException {
        long t0 = System.nanoTime();
        if (frontendOptions != null) {
            port("--frontend-port", frontendOptions.port());
        }
        List<String> routerCommand = options.routerCommand == null || options.routerCommand.isBlank() ? null
                : parseCommand(options.routerCommand);
        int frontendPort = frontendOptions == null ? -1 : resolvePort(frontendOptions.port());
        BackendConfig config = BackendOptions.configure(options, routerCommand, frontendPort,
                line -> console.line(Console.Source.ROUTER, line), spec);
        checkWatchDir(routerCommand != null);
        // before the first log line, child process or port: a second run on this directory touches nothing
        try (LogDirLock claim = LogDirLock.claim(options.logDir, dev ? "dev" : "backend")) {
            return start(config, routerCommand, frontendPort, t0);
        }
    }

    private int start(BackendConfig config, List<String> routerCommand, int frontendPort, long t0)
            throws InterruptedException {
        Path routerDir = null;
        if (config.routerUrl().isEmpty() && routerCommand == null) {
            requireOnPath("python3", "the bundled AI router needs python3 (3.9 or newer)",
                    "install python3, or use --router-url URL (a running router) or --router-command CMD");
            routerDir = RouterSources.locate();
        }
        if (frontendOptions != null) {
            checkFrontendPrerequisites();
        }
        int backendPort = resolvePort(config.port());
        Path dir = routerDir;
        config = BackendOptions.amend(config, b -> {
            b.port(backendPort);
            if (dir != null) {
                b.routerDirectory(dir);
            }
        }, spec);
        requireFree(config.host(), backendPort, "--backend-port");
        if (frontendOptions != null) {
            requireFree("127.0.0.1", frontendPort, "--frontend-port");
        }
        token = AdminToken.create(line -> console.line(Console.Source.LAUNCHER, line));
        try {
            if (token != null) {
                String secret = token.value;
                config = BackendOptions.amend(config, b -> b.adminToken(secret), spec);
            }
            return run(config, routerDir, routerCommand != null, frontendPort, backendPort, t0);
        } finally {
            deleteToken(); // on every way out: stopped, failed, or an exception
        }
    }

    private int run(BackendConfig config, Path routerDir, boolean command, int frontendPort, int backendPort, long t0)
            throws InterruptedException {
        installSignalHandlers();

        ChatBackend backend = ChatBackend.create(config);
        register(backend::stop);
        reloads = new ReloadTrigger(backend, console);
        ManagedProcess frontend = null;
        backend.addRouterListener(e -> {
            if (stopping || !ready) {
                return;
            }
            if (e.kind() == ReplicaEvent.Kind.READY || e.kind() == ReplicaEvent.Kind.GONE) {
                writeRunFile(backend, frontendPort); // the replica set changed: no stale router URL for status
            }
            if (e.kind() == ReplicaEvent.Kind.DOWN && e.replica().state() == ProcessState.FAILED) {
                RouterStatus routers = backend.routerStatus();
                if (routers.isFailed()) {
                    fail("the router" + (routers.replicas().size() > 1 ? "s" : "") + " FAILED: " + e.cause());
                } else {
                    console.line(Console.Source.LAUNCHER, "warning: router #" + e.replica().index() + " FAILED ("
                            + e.cause() + "); chat goes on on the other routers");
                }
            }
        });
        try {
            backend.start();
            if (frontendOptions != null) {
                frontend = startFrontend(frontendPort, backendPort);
            }
        } catch (RuntimeException e) {
            if (stopping) {
                stopAll();
                return finish(failure.get() == null ? 0 : Launcher.FAILED);
            }
            console.line(Console.Source.LAUNCHER, "error: " + e.getMessage());
            stopAll();
            return finish(Launcher.FAILED);
        }
        ready = true;
        if (!stopping) {
            writeRunFile(backend, frontendPort); // before "ready": whoever saw the banner finds the run (status, reload)
            banner(backend, frontendPort, t0);
            if (watch) {
                startWatch(backend, routerDir, command);
            }
        }
        done.await();
        String why = failure.get();
        if (why != null) {
            console.line(Console.Source.LAUNCHER, "error: " + why + "; stopping everything");
        }
        stopAll();
        return finish(why == null ? 0 : Launcher.FAILED);
    }

    private int finish(int code) {
        RunFile.delete(options.logDir);
        deleteToken();
        return code;
    }

    private void deleteToken() {
        AdminToken t = token;
        if (t != null) {
            t.delete();
        }
    }

    /** {@code --watch-dir} names the tree of a {@code --router-command} router, for a run that watches. */
    private void checkWatchDir(boolean command) {
        if (options.watchDir == null) {
            return;
        }
        if (!command) {
            usage("--watch-dir applies to a --router-command router; the bundled router's python-router/ is watched"
                    + " without it (and --router-url has nothing to watch)");
        }
        if (!watch) {
            usage("--watch-dir " + options.watchDir + " needs --watch (backend) / must not be used with --no-watch (dev)");
        }
        if (!Files.isDirectory(options.watchDir)) {
            usage("--watch-dir " + options.watchDir + " is not a directory; expected the router's source tree");
        }
    }

    /**
     * Watches the router's source tree, when there is one of ours to watch: the repository's
     * {@code python-router/} for the bundled router, {@code --watch-dir} for a {@code --router-command}
     * router. Otherwise says once why nothing is watched.
     */
    private void startWatch(ChatBackend backend, Path routerDir, boolean command) {
        Path tree = null;
        String none = null;
        if (!backend.routerStatus().owned()) {
            none = backend.config().routerUrl().isPresent() ? "the router is external (--router-url)"
                    : "the router was adopted (it was already running; restart it yourself to change its code)";
        } else if (command) {
            tree = options.watchDir;
            if (tree == null) {
                none = "--router-command runs a router whose sources are unknown; pass --watch-dir DIR";
            }
        } else if (routerDir != null && !RouterSources.isRepositoryCopy(routerDir)) {
            none = "the router runs from the copy bundled in the jar (" + routerDir + "), not from a source tree;"
                    + " run from the repository root to edit it";
        } else {
            tree = routerDir;
        }
        if (tree == null) {
            console.line(Console.Source.LAUNCHER, "watch: nothing to watch — " + none);
            return;
        }
        try {
            RouterWatch w = new RouterWatch(tree, options.logDir, reloads::onChange);
            routerWatch = w;
            console.line(Console.Source.LAUNCHER, "watching " + tree + " — a save reloads the router");
        } catch (IOException | RuntimeException e) {
            console.line(Console.Source.LAUNCHER, "warning: cannot watch " + tree + " (" + e.getMessage()
                    + "); reload with 'launcher reload' instead");
        }
    }

    // ---- start -----------------------------------------------------------------------------

    private ManagedProcess startFrontend(int port, int backendPort) throws InterruptedException {
        Path dir = frontendOptions.directory().toAbsolutePath().normalize();
        Path log = options.logDir.resolve("frontend.log");
        if (!Files.isDirectory(dir.resolve("node_modules"))) {
            installDependencies(dir, log);
        }
        ProcessConfig config = ProcessConfig.builder("frontend")
                .command("node", "node_modules/vite/bin/vite.js", "--strictPort", "--host", "127.0.0.1",
                        "--port", Integer.toString(port))
                .workingDirectory(dir)
                .environment(Map.of("BACKEND_PORT", Integer.toString(backendPort), "FRONTEND_PORT",
                        Integer.toString(port), "NO_COLOR", "1"))
                .healthCheck(HealthCheck.http("http://127.0.0.1:" + port + "/"))
                .allowAdoption(false)
                .startupTimeout(Duration.ofSeconds(60))
                .stopGracePeriod(Duration.ofSeconds(2))
                .logFile(log)
                .outputListener(line -> console.line(Console.Source.FRONTEND, line))
                .build();
        ManagedProcess frontend = ManagedProcess.create(config);
        register(frontend::close);
        frontend.addListener(e -> {
            if ((e.state() == ProcessState.STOPPED || e.state() == ProcessState.FAILED)
                    && e.previous() == ProcessState.RUNNING && !stopping) {
                fail("the frontend dev server exited on its own ("
                        + e.status().lastExitCode().stream().mapToObj(c -> "exit code " + c).findFirst().orElse(e.cause())
                        + "); see " + log);
            }
        });
        frontend.ensureRunning();
        return frontend;
    }

    private void installDependencies(Path dir, Path log) throws InterruptedException {
        console.line(Console.Source.FRONTEND, "installing dependencies… (npm ci in " + dir + ")");
        ManagedProcess npm = ManagedProcess.create(ProcessConfig.builder("frontend-install")
                .command("npm", "ci", "--no-audit", "--no-fund")
                .workingDirectory(dir)
                .logFile(log)
                .outputListener(line -> console.line(Console.Source.FRONTEND, line))
                .build());
        register(npm::close);
        long t0 = System.nanoTime();
        ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "airouter-npm-heartbeat");
            t.setDaemon(true);
            return t;
        });
        heartbeat.scheduleAtFixedRate(() -> console.line(Console.Source.FRONTEND, "installing dependencies… "
                + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0) + " s"), 5, 5, TimeUnit.SECONDS);
        try {
            int code = npm.runToCompletion(Duration.ofMinutes(15));
            if (code != 0) {
                throw new IllegalStateException("npm ci failed with exit code " + code + " in " + dir + "; see " + log
                        + " (or run with --no-frontend)");
            }
            console.line(Console.Source.FRONTEND, "dependencies installed in "
                    + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0) + " s");
        } finally {
            heartbeat.shutdownNow();
            npm.close();
        }
    }

    private void banner(ChatBackend backend, int frontendPort, long t0) {
        RouterStatus routers = backend.routerStatus();
        String how = backend.config().routerUrl().isPresent() ? "external" : routers.owned() ? "owned" : "adopted";
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "ready in %.1f s%n", (System.nanoTime() - t0) / 1e9));
        if (frontendPort > 0) {
            sb.append("  page:     http://127.0.0.1:").append(frontendPort).append("/\n");
        }
        sb.append("  backend:  ").append(backend.url()).append('\n');
        sb.append("  instance: ").append(backend.instanceId()).append('\n');
        for (RouterStatus.ReplicaStatus r : routers.replicas()) {
            String pid = r.process().pid().isPresent() ? "pid " + r.process().pid().getAsLong() : "pid unknown";
            sb.append(routers.replicas().size() > 1 ? String.format(Locale.ROOT, "  router %d: ", r.index()) : "  router:   ")
                    .append(r.url()).append(" (").append(pid).append(", ").append(how).append(")\n");
        }
        if (!routers.owned() && backend.config().routers() > 1) {
            sb.append("  (--routers ").append(backend.config().routers()).append(" ignored: adopted the router that"
                    + " was already running)\n");
        }
        if (routers.owned() && backend.config().routerPort().filter(port -> port > 0).isPresent()) {
            sb.append("  (fixed --router-port: a reload stops the router before the new one starts, a gap)\n");
        }
        sb.append("  store:    ").append(backend.storeBackend()).append('\n');
        sb.append("  logs:     ").append(options.logDir.toAbsolutePath().normalize()).append('\n');
        sb.append("  Press Ctrl+C to stop.");
        for (String line : sb.toString().split("\n")) {
            console.line(Console.Source.LAUNCHER, line);
        }
    }

    private synchronized void writeRunFile(ChatBackend backend, int frontendPort) {
        Properties p = new Properties();
        p.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
        p.setProperty("mode", dev ? "dev" : "backend");
        p.setProperty("instanceId", backend.instanceId());
        p.setProperty("backendUrl", backend.url().toString());
        p.setProperty("backendPort", Integer.toString(backend.port()));
        RouterStatus routers = backend.routerStatus();
        p.setProperty("routerUrl", routers.url().toString());
        p.setProperty("routerUrls", String.join(",", routers.replicas().stream().filter(RouterStatus.ReplicaStatus::ready)
                .map(r -> r.url().toString()).toList()));
        if (token != null) {
            p.setProperty("tokenFile", token.file.toString()); // where the token is, never the token itself
        }
        if (frontendPort > 0) {
            p.setProperty("frontendPort", Integer.toString(frontendPort));
            p.setProperty("pageUrl", "http://127.0.0.1:" + frontendPort + "/");
        }
        try {
            RunFile.write(options.logDir, p);
        } catch (IOException e) {
            console.line(Console.Source.LAUNCHER, "warning: cannot write the run file in " + options.logDir + ": " + e);
        }
    }

    // ---- stop ------------------------------------------------------------------------------

    private void register(Runnable stopper) {
        synchronized (this) {
            if (stopped == null) {
                stoppers.add(stopper);
                return;
            }
        }
        stopper.run(); // already stopping: a part that registers late is stopped at once
    }

    private void fail(String why) {
        if (failure.compareAndSet(null, why)) {
            done.countDown();
        }
    }

    /** Stops every registered part in parallel within one budget; later calls wait for the first. */
    private void stopAll() {
        CompletableFuture<Void> mine;
        List<Runnable> parts;
        synchronized (this) {
            stopping = true;
            if (stopped != null) {
                mine = stopped;
                parts = null;
            } else {
                stopped = mine = new CompletableFuture<>();
                parts = new ArrayList<>(stoppers);
                stoppers.clear();
            }
        }
        if (parts == null) {
            try {
                mine.get(STOP_BUDGET.toMillis() + 2000, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                // reported by the first caller
            }
            return;
        }
        long t0 = System.nanoTime();
        console.line(Console.Source.LAUNCHER, "Shutting down…");
        // no reload may begin while the parts stop: the watch and the trigger go first
        RouterWatch w = routerWatch;
        if (w != null) {
            w.close();
        }
        ReloadTrigger trigger = reloads;
        if (trigger != null) {
            trigger.close();
        }
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Runnable part : parts) {
            all.add(CompletableFuture.runAsync(() -> {
                try {
                    part.run();
                } catch (RuntimeException e) {
                    console.line(Console.Source.LAUNCHER, "warning: while stopping: " + e.getMessage());
                }
            }));
        }
        try {
            CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]))
                    .get(STOP_BUDGET.toMillis() + 1000, TimeUnit.MILLISECONDS);
            console.line(Console.Source.LAUNCHER, String.format(Locale.ROOT, "stopped in %.0f ms",
                    (System.nanoTime() - t0) / 1e6));
        } catch (Exception e) {
            console.line(Console.Source.LAUNCHER, "warning: not everything stopped within " + STOP_BUDGET.toSeconds()
                    + " s; the lifeline watchers will end what is left");
        } finally {
            mine.complete(null);
        }
    }

    @SuppressWarnings("removal")
    private void installSignalHandlers() {
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> onSignal(sig.getName()));
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // not available here: the JVM's default handling and the shutdown hooks remain
            }
        }
        boolean installed;
        try {
            // backend: the systemd habit (ExecReload=kill -HUP $MAINPID) reloads the routers;
            // dev: the terminal went away, stop everything
            sun.misc.SignalHandler old = sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> {
                if (dev) {
                    onSignal("HUP");
                } else {
                    onReloadSignal();
                }
            });
            // a signal ignored when the JVM started (nohup, some supervisors) stays ignored: the JVM
            // answers SIG_IGN and installs nothing
            installed = old != sun.misc.SignalHandler.SIG_IGN;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            installed = false;
        }
        if (!installed) {
            console.line(Console.Source.LAUNCHER, dev
                    ? "note: SIGHUP is ignored in this process (started under nohup?); closing the terminal will not stop it"
                    : "warning: SIGHUP cannot be handled here (ignored when the JVM started, e.g. under nohup);"
                            + " reload with 'launcher reload' instead");
        }
    }

    private void onReloadSignal() {
        ReloadTrigger trigger = reloads;
        if (!ready || stopping || trigger == null) {
            console.line(Console.Source.LAUNCHER, "SIGHUP received while " + (stopping ? "stopping" : "starting")
                    + ": nothing to reload");
            return;
        }
        trigger.request("SIGHUP received");
    }

    private void onSignal(String name) {
        if (signals.incrementAndGet() > 1) {
            console.line(Console.Source.LAUNCHER, "second SIG" + name + ": forcing exit");
            deleteToken(); // halt skips every finally block
            Runtime.getRuntime().halt(130);
        }
        console.line(Console.Source.LAUNCHER, "SIG" + name + " received");
        stopping = true;
        if (!ready) {
            // the main thread is blocked starting a part: stopping the parts makes that call return
            Thread t = new Thread(this::stopAll, "airouter-stop");
            t.setDaemon(true);
            t.start();
        }
        done.countDown();
    }

    // ---- checks ----------------------------------------------------------------------------

    private List<String> parseCommand(String line) {
        try {
            return CommandLines.split(line);
        } catch (IllegalArgumentException e) {
            throw usageException("--router-command '" + line + "' " + e.getMessage());
        }
    }

    private void port(String option, int value) {
        if (value < 0 || value > 65535) {
            usage(option + " must be 0-65535 (0 = any free port), was " + value);
        }
    }

    private void usage(String message) {
        throw usageException(message);
    }

    private CommandLine.ParameterException usageException(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private void checkFrontendPrerequisites() {
        Path dir = frontendOptions.directory();
        if (!Files.isRegularFile(dir.resolve("package.json"))) {
            throw new IllegalStateException("no frontend at " + dir.toAbsolutePath().normalize()
                    + " (package.json missing); run from the repository root, pass --frontend-dir DIR,"
                    + " or use 'backend' / --no-frontend");
        }
        requireOnPath("node", "the frontend dev server needs Node.js 20+", "install node and npm, or use --no-frontend");
        if (!Files.isDirectory(dir.resolve("node_modules"))) {
            requireOnPath("npm", "installing the frontend needs npm", "install npm, or use --no-frontend");
        }
    }

    private static void requireOnPath(String executable, String why, String fix) {
        if (Executables.onPath(executable).isEmpty()) {
            throw new IllegalStateException("'" + executable + "' was not found on PATH: " + why + "; " + fix);
        }
    }

    private static int resolvePort(int port) {
        return port != 0 ? port : PortHolder.freeLoopbackPort();
    }

    private void requireFree(String host, int port, String option) {
        String target = "0.0.0.0".equals(host) || "::".equals(host) ? "127.0.0.1" : host;
        if (PortHolder.isAccepting(target, port, Duration.ofMillis(300))) {
            String holder = RunFile.read(options.logDir)
                    .map(p -> "another airouter " + p.getProperty("mode") + " (pid " + p.getProperty("pid") + ")")
                    .orElse(PortHolder.describe(port));
            throw new IllegalStateException(option + " " + port + " is already in use, " + holder
                    + "; stop it, or choose another port (0 = any free port)");
        }
    }
}
