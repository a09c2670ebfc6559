package dev.airouter.lifecycle;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supervises one external process: adopt it if it is already healthy, otherwise spawn it, wait
 * for readiness, log its output, restart it when it crashes, and stop its whole process tree.
 *
 * <pre>{@code
 * ProcessConfig config = ProcessConfig.builder("ai-router")
 *         .command("python3", "-m", "ai_router", "--port", "8888")
 *         .workingDirectory(Path.of("python-router"))
 *         .healthCheck(HealthCheck.http("http://127.0.0.1:8888/health")
 *                 .expectingJsonField("service", "ai-router"))
 *         .restartPolicy(RestartPolicy.onFailure())
 *         .build();
 * try (ManagedProcess router = ManagedProcess.create(config)) {
 *     ProcessStatus status = router.ensureRunning();   // adopted or spawned, and ready
 *     System.out.println(status.state() + " pid " + status.pid());
 * }                                                    // close() stops the whole tree
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>{@link #ensureRunning()} checks health first. Healthy and the expected service: adopted
 *       (not owned; {@link #stop()} leaves it running unless {@code stopAdopted}). Port taken by
 *       anything else: {@link PortInUseException} naming the port and holder; nothing is spawned.
 *   <li>A process that exits before it is ready fails the start at once with
 *       {@link ProcessExitedException} (exit code + last output lines), not at the timeout.
 *   <li>{@link #stop()} sends SIGTERM to the whole tree (descendants and the process group, taken
 *       before signalling), waits the grace period, SIGKILLs what is left, and returns only when
 *       everything is gone (zombies count as gone). Idempotent, thread-safe, shutdown-hook safe.
 *   <li>No orphans after the JVM dies, even by SIGKILL: a lifeline watcher beside each child takes
 *       its process group down within ~1 s of the JVM's death (see the README, "No orphans").
 *       Requires {@code sh} and {@code setsid} (Linux; macOS lacks {@code setsid}, so there only
 *       normal stops and shutdown hooks clean up; Windows is best effort).
 *   <li>With a {@link RestartPolicy}, a process that exits after it was ready is restarted with
 *       backoff, its port re-checked first; too many restarts, or a port taken meanwhile, end in
 *       {@link ProcessState#FAILED} with one log line.
 * </ul>
 *
 * <h2>Threads</h2>
 * Each instance owns a few daemon threads (probes, supervision, event delivery, output readers),
 * named {@code airouter-<name>-…}; {@link #close()} ends them. Listener events arrive in order on
 * the event thread. All public methods are thread-safe.
 */
/*
 * Concurrency. Four monitors, always taken in this order; a thread that holds one never waits for
 * an earlier one:
 *
 *   1. startLock: serialises what brings the process up (ensureRunning, runToCompletion, and the
 *      supervisor's restart attempts, see restart()). Held for a whole start: the adoption check,
 *      the spawn and the readiness wait.
 *   2. stopLock: serialises stop(). ensureRunning() takes and releases it right after the start
 *      lock, so a start never begins beside a tree that a stop is still tearing down.
 *   3. spawnLock: held across launching a child and publishing it in `child`; stop() takes it for a
 *      moment before it reads `child`, so it never misses a child being born.
 *   4. lock: guards the state (state, child, owned, adoptedPid, startedAt, lastExitCode,
 *      stopRequested, epoch, closed, shutdownHook) and all of the Supervisor's fields (restart count
 *      and window, timers). Held briefly, never across I/O or a wait. Every transition happens under
 *      it and enqueues its event there, so listeners see transitions in the order they happened.
 *
 * The epoch is bumped by every ensureRunning() and stop(). Work scheduled earlier and run later
 * (a restart attempt, a readiness wait's success, an adoption) carries the epoch it was scheduled
 * in, and re-checks it (and that `child` is still its child) under the lock: a stop or a new start
 * in between makes it a no-op, which is how a stop wins over a pending restart without cancelling
 * threads. stop() also sets stopRequested, which tells the exit handler that an exit is expected.
 */
public final class ManagedProcess implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ManagedProcess.class);

    private final ProcessConfig config;
    private final Clock clock;
    private final RotatingLog log;
    private final LogLines lines;
    private final boolean ownsLog;
    private final OkHttpClient ownedClient;
    private final HealthProber prober;
    private final ThreadFactory threads;
    private final ScheduledExecutorService scheduler;
    private final Supervisor supervisor;
    private final ExecutorService events;
    private final List<ProcessListener> listeners = new CopyOnWriteArrayList<>();
    private final Object startLock = new Object();
    private final Object stopLock = new Object();
    private final Object spawnLock = new Object();
    private final Object lock = new Object();

    // guarded by lock (and so are the supervisor's fields)
    private ProcessState state = ProcessState.STOPPED;
    private Child child;
    private long adoptedPid = -1;
    private boolean owned;
    private Instant startedAt;
    private Integer lastExitCode;
    private boolean stopRequested;
    private long epoch;
    private boolean closed;
    private Thread shutdownHook;

    private ManagedProcess(ProcessConfig config, RotatingLog sharedLog, OptionalLong generation) {
        this.config = config;
        this.clock = config.clock();
        this.ownsLog = sharedLog == null;
        this.log = sharedLog != null ? sharedLog : new RotatingLog(config.logFile(), config.logMaxBytes(), config.logBackups());
        this.lines = LogLines.forChild(log, config, generation);
        this.ownedClient = config.httpClient().isPresent() ? null : HealthProber.defaultClient();
        this.prober = config.healthCheck()
                .map(h -> new HealthProber(h, config.httpClient().orElse(ownedClient)))
                .orElse(null);
        AtomicInteger count = new AtomicInteger();
        this.threads = r -> {
            Thread t = new Thread(r, "airouter-" + config.name() + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(2, named("probe"));
        pool.setRemoveOnCancelPolicy(true);
        this.scheduler = pool;
        this.supervisor = new Supervisor(this, config, pool, prober, named("supervisor"));
        this.events = Executors.newSingleThreadExecutor(named("events"));
    }

    /**
     * Creates a supervisor for {@code config}. Nothing starts until {@link #ensureRunning()} or
     * {@link #runToCompletion(Duration)}.
     *
     * @param config the configuration
     * @return the new, stopped, managed process
     * @throws IllegalArgumentException if the command or health URL still has a {@link ProcessPool}
     *     placeholder ({@code {port}}, {@code {generation}})
     */
    public static ManagedProcess create(ProcessConfig config) {
        Objects.requireNonNull(config, "config");
        config.placeholder().ifPresent(p -> {
            throw new IllegalArgumentException("'" + config.name() + "' has a " + p + " placeholder in its command or"
                    + " health check URL; a ProcessPool fills it in for each replica; a single process needs the value");
        });
        return new ManagedProcess(config, null, OptionalLong.empty());
    }

    /**
     * A pool replica: its output goes to a log shared with the other replicas of its index, each line
     * marked with {@code generation} ({@code [gN] } before a plain line, a field of a JSON one); it
     * never closes that log.
     */
    static ManagedProcess create(ProcessConfig config, RotatingLog sharedLog, long generation) {
        return new ManagedProcess(config, Objects.requireNonNull(sharedLog, "sharedLog"), OptionalLong.of(generation));
    }

    /** @return the configuration */
    public ProcessConfig config() {
        return config;
    }

    /**
     * Adds a listener for state transitions.
     *
     * @param listener called on the event thread for every later transition
     */
    public void addListener(ProcessListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Makes sure the process is up: adopts a healthy expected service already on the port, or
     * spawns the command and waits until it is ready. Returns at once when already up.
     *
     * @return the status once up ({@link ProcessState#RUNNING} or {@link ProcessState#ADOPTED}); while
     *     supervision is restarting the process it returns at once with {@link ProcessState#RESTARTING}
     * @throws PortInUseException if the port is held by something else (nothing is spawned)
     * @throws ProcessExitedException if the process exited before it was ready
     * @throws StartupTimeoutException if it was not ready within the startup timeout (it is stopped)
     * @throws LifecycleException if it cannot be launched, or {@link #stop()} interrupted the start
     * @throws InterruptedException if the calling thread is interrupted (the process is stopped)
     */
    public ProcessStatus ensureRunning() throws InterruptedException {
        synchronized (lock) {
            if (!closed && (state == ProcessState.RUNNING || state == ProcessState.ADOPTED
                    || state == ProcessState.RESTARTING)) {
                return snapshot(); // fast path; a restart in progress holds the start lock
            }
        }
        synchronized (startLock) {
            synchronized (stopLock) {
                // a stop() in progress finishes first: never adopt or spawn beside a dying process
            }
            long myEpoch;
            synchronized (lock) {
                if (closed) {
                    throw new LifecycleException("'" + config.name() + "' is closed; create a new ManagedProcess");
                }
                if (state == ProcessState.RUNNING || state == ProcessState.ADOPTED
                        || state == ProcessState.RESTARTING) {
                    return snapshot();
                }
                stopRequested = false;
                supervisor.reset();
                myEpoch = ++epoch;
            }
            if (prober != null) {
                HealthProber.Result health = prober.probe();
                int port = config.healthCheck().get().port();
                if (health.healthy()) {
                    if (config.allowAdoption()) {
                        adopt(health, myEpoch);
                        synchronized (lock) {
                            return snapshot();
                        }
                    }
                    throw portInUse(port, "answers " + config.healthCheck().get().url() + " healthily but adoption"
                            + " is disabled (allowAdoption(false))");
                }
                if (health.outcome() == HealthProber.Outcome.UNEXPECTED) {
                    throw portInUse(port, "answers GET " + config.healthCheck().get().url() + " with "
                            + health.detail() + ", which is not the expected service ("
                            + config.healthCheck().get().expectation() + ")");
                }
            }
            checkPortFree("was not reachable as the expected service");
            try {
                spawnAndAwait(ProcessState.STARTING, "ensureRunning", myEpoch);
            } catch (LifecycleException e) {
                fail(e.getMessage());
                throw e;
            } catch (InterruptedException e) {
                synchronized (lock) {
                    if (state == ProcessState.STARTING) {
                        transition(ProcessState.STOPPED, "interrupted while waiting for readiness; stopped");
                    }
                }
                throw e;
            }
            synchronized (lock) {
                return snapshot();
            }
        }
    }

    /**
     * Runs the command to completion (a step such as {@code npm ci}): no adoption, no readiness,
     * no restarts; output goes to the log as usual, and the lifeline covers it. Only from
     * {@link ProcessState#STOPPED} or {@link ProcessState#FAILED}.
     *
     * @param timeout how long it may run; then its tree is stopped
     * @return its exit code
     * @throws LifecycleException if it cannot be launched or runs past {@code timeout}
     * @throws InterruptedException if interrupted (the process tree is stopped first)
     */
    public int runToCompletion(Duration timeout) throws InterruptedException {
        Durations.positive("runToCompletion timeout", timeout);
        synchronized (startLock) {
            long myEpoch;
            synchronized (lock) {
                if (closed) {
                    throw new LifecycleException("'" + config.name() + "' is closed; create a new ManagedProcess");
                }
                if (state != ProcessState.STOPPED && state != ProcessState.FAILED) {
                    throw new LifecycleException("'" + config.name() + "' is " + state
                            + "; runToCompletion() needs it stopped first");
                }
                stopRequested = false;
                myEpoch = ++epoch;
            }
            Child c = spawn(ProcessState.STARTING, "runToCompletion", myEpoch, true);
            synchronized (lock) {
                if (child == c && state == ProcessState.STARTING) {
                    transition(ProcessState.RUNNING, "running to completion");
                }
            }
            try {
                int code = c.exit.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
                synchronized (lock) {
                    lastExitCode = code;
                }
                Supervisor.cleanUpAfterExit(c);
                synchronized (lock) {
                    if (child == c) {
                        child = null;
                        transition(code == 0 ? ProcessState.STOPPED : ProcessState.FAILED,
                                "completed with exit code " + code);
                    }
                }
                return code;
            } catch (TimeoutException e) {
                stop();
                throw new LifecycleException("'" + config.name() + "' (" + String.join(" ", config.command())
                        + ") did not finish within " + timeout.toMillis() + " ms and was stopped. Last output:"
                        + Readiness.lines(c));
            } catch (ExecutionException e) {
                throw new LifecycleException("'" + config.name() + "' failed: " + e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                stop();
                throw e;
            }
        }
    }

    /**
     * Stops the process tree within the default budget (grace period + 5 s).
     *
     * @return the status afterwards
     * @see #stop(Duration)
     */
    public ProcessStatus stop() {
        return stop(config.stopGracePeriod().plusSeconds(5));
    }

    /**
     * Stops the process: SIGTERM to the whole tree, up to the grace period (capped by {@code budget})
     * for it to exit, SIGKILL for what is left, and returns when every process is gone or the budget
     * is spent. An adopted process is only released unless {@code stopAdopted} is set. Idempotent;
     * concurrent calls all return after the stop completes; safe from a shutdown hook. An interrupt
     * does not cut the stop short; the flag is restored on return.
     *
     * @param budget the most this call may take
     * @return the status afterwards
     */
    public ProcessStatus stop(Duration budget) {
        Durations.positive("stop budget", budget);
        long deadline = System.nanoTime() + budget.toNanos();
        boolean interrupted = Thread.interrupted();
        try {
            synchronized (stopLock) {
                Child c;
                long adopted;
                synchronized (lock) {
                    stopRequested = true;
                    epoch++;
                }
                synchronized (spawnLock) {
                    // a launch in flight has now either published its child or seen stopRequested
                }
                synchronized (lock) {
                    supervisor.cancelTimers();
                    c = child;
                    adopted = adoptedPid;
                    if (state == ProcessState.ADOPTED && !config.stopAdopted()) {
                        transition(ProcessState.STOPPED, "released adopted process (left running)");
                        return snapshot();
                    }
                    if (c == null && state != ProcessState.ADOPTED) {
                        if (state != ProcessState.STOPPED && state != ProcessState.FAILED) {
                            transition(ProcessState.STOPPED, "stop requested");
                        }
                        return snapshot();
                    }
                    transition(ProcessState.STOPPING, "stop requested");
                }
                long begin = System.nanoTime();
                boolean gone;
                if (c != null) {
                    Set<Long> watchers = ProcessTree.watchers(c.pid);
                    gone = ProcessTree.terminate(c.pid, c.pgid, config.stopGracePeriod(), deadline);
                    c.closeLifeline();
                    if (gone) {
                        // The tree is gone, so the watcher has nothing left to guard. It ignores SIGTERM
                        // and would otherwise linger while unreaped zombies keep its group non-empty.
                        // When something survived, the watcher stays: it is the last safety net.
                        ProcessTree.kill(watchers, -1, Math.min(deadline, System.nanoTime() + 2_000_000_000L));
                    }
                } else {
                    gone = adopted <= 0 || ProcessTree.terminate(adopted, -1, config.stopGracePeriod(), deadline);
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
                if (c != null && gone) {
                    // the exit is reported after commons-exec joined the output readers (bounded)
                    try {
                        int code = c.exit.get(Math.max(1, Math.min(1000,
                                TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))), TimeUnit.MILLISECONDS);
                        synchronized (lock) {
                            lastExitCode = code;
                        }
                    } catch (InterruptedException e) {
                        interrupted = true;
                    } catch (ExecutionException | TimeoutException e) {
                        // no exit code to report
                    }
                }
                synchronized (lock) {
                    if (child == c && gone) {
                        child = null;
                    }
                    adoptedPid = -1;
                    if (gone) {
                        transition(ProcessState.STOPPED, "stopped in " + millis + " ms");
                    } else {
                        LOG.error("'{}': processes still alive after the stop budget of {} ms", config.name(),
                                budget.toMillis());
                        transition(ProcessState.FAILED, "processes still alive after the stop budget of "
                                + budget.toMillis() + " ms");
                    }
                    return snapshot();
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** @return the current status */
    public ProcessStatus status() {
        synchronized (lock) {
            return snapshot();
        }
    }

    /**
     * Stops the process (see {@link #stop()}), removes the shutdown hook and ends this instance's
     * threads. Idempotent; safe from any thread and from a shutdown hook.
     */
    @Override
    public void close() {
        boolean first;
        synchronized (lock) {
            first = !closed;
            closed = true; // no start may slip in between the stop below and shutting down
        }
        stop();
        if (!first) {
            return;
        }
        Thread hook;
        synchronized (lock) {
            hook = shutdownHook;
            shutdownHook = null;
        }
        if (hook != null && hook != Thread.currentThread()) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down already
            }
        }
        scheduler.shutdownNow();
        supervisor.shutdown();
        events.shutdown();
        if (ownsLog) {
            log.close();
        }
        if (ownedClient != null) {
            ownedClient.connectionPool().evictAll();
            ownedClient.dispatcher().executorService().shutdown();
        }
    }

    // ---- starting -------------------------------------------------------------------------

    private void adopt(HealthProber.Result health, long myEpoch) {
        OptionalLong pid = Ports.holderPid(config.healthCheck().get().port());
        synchronized (lock) {
            if (stopRequested || epoch != myEpoch) {
                throw new LifecycleException("'" + config.name() + "' start was interrupted by stop()");
            }
            owned = false;
            child = null;
            adoptedPid = pid.orElse(-1);
            startedAt = clock.instant();
            transition(ProcessState.ADOPTED, "adopted the healthy service at " + config.healthCheck().get().url()
                    + " (" + health.detail() + (pid.isPresent() ? ", pid " + pid.getAsLong() : "") + ")");
        }
    }

    private void checkPortFree(String why) {
        Optional<Integer> port = config.port();
        if (port.isPresent()) {
            String host = config.healthCheck().map(HealthCheck::host).orElse("127.0.0.1");
            if (Ports.isAccepting(host, port.get(), Duration.ofMillis(500))) {
                throw portInUse(port.get(), "accepts connections but " + why);
            }
        }
    }

    private PortInUseException portInUse(int port, String what) {
        OptionalLong pid = Ports.holderPid(port);
        Optional<String> command = pid.isPresent() ? ProcessTree.commandLine(pid.getAsLong()) : Optional.empty();
        return new PortInUseException("cannot start '" + config.name() + "': port " + port + " is in use — it "
                + what + "; " + Ports.describeHolder(port) + ". Stop that process or configure another port;"
                + " nothing was spawned.", port, pid, command);
    }

    /** @param oneShot run to completion: its exit is reported by the caller, never supervised */
    private Child spawn(ProcessState waiting, String cause, long myEpoch, boolean oneShot)
            throws InterruptedException {
        Child c;
        synchronized (spawnLock) {
            synchronized (lock) {
                if (stopRequested || closed || epoch != myEpoch) {
                    throw new LifecycleException("'" + config.name() + "' start was interrupted by stop()");
                }
                if (state != waiting) {
                    transition(waiting, cause);
                }
            }
            c = Child.spawn(config, lines, threads, clock.instant());
            synchronized (lock) {
                // stop() waits for spawnLock before it looks for the child, so it sees this one
                child = c;
                owned = true;
                adoptedPid = -1;
                startedAt = c.startedAt;
                installShutdownHook();
            }
        }
        c.oneShot = oneShot;
        c.exit.whenComplete((code, error) -> supervisor.onExit(c, code == null ? -1 : code));
        LOG.info("'{}' spawned pid {}: {}", config.name(), c.pid, String.join(" ", config.command()));
        return c;
    }

    private void spawnAndAwait(ProcessState waiting, String cause, long myEpoch) throws InterruptedException {
        Child c = spawn(waiting, cause, myEpoch, false);
        CompletableFuture<Void> ready = Readiness.await(config, c, prober, scheduler);
        try {
            ready.get();
        } catch (InterruptedException e) {
            ready.cancel(false);
            stopChild(c, false);
            throw e;
        } catch (ExecutionException | CancellationException e) {
            Throwable cause2 = e instanceof ExecutionException ? e.getCause() : e;
            boolean stopped;
            synchronized (lock) {
                stopped = stopRequested;
            }
            if (stopped) {
                throw new LifecycleException("'" + config.name() + "' start was interrupted by stop()", cause2);
            }
            stopChild(c, cause2 instanceof ProcessExitedException);
            if (cause2 instanceof LifecycleException) {
                throw (LifecycleException) cause2;
            }
            throw new LifecycleException("'" + config.name() + "' readiness failed: " + cause2, cause2);
        }
        long millis = Duration.between(c.startedAt, clock.instant()).toMillis();
        boolean superseded;
        synchronized (lock) {
            superseded = child != c || stopRequested || epoch != myEpoch;
            if (!superseded) {
                transition(ProcessState.RUNNING, "ready after " + millis + " ms (pid " + c.pid + ")");
                supervisor.childReady(c);
                if (c.exit.isDone()) {
                    // it exited between passing readiness and RUNNING: onExit ignored it then
                    int code = c.exit.getNow(-1);
                    supervisor.execute(() -> supervisor.onExit(c, code));
                }
            }
        }
        if (superseded) {
            stopChild(c, false);
            throw new LifecycleException("'" + config.name() + "' start was interrupted by stop()");
        }
    }

    /** Ends a child that failed to start (or its leftovers) without going through stop()'s states. */
    private void stopChild(Child c, boolean alreadyExited) {
        long deadline = System.nanoTime() + config.stopGracePeriod().plusSeconds(5).toNanos();
        if (alreadyExited) {
            ProcessTree.kill(ProcessTree.groupMembers(c.pgid), c.pgid, deadline);
        } else {
            ProcessTree.terminate(c.pid, c.pgid, config.stopGracePeriod(), deadline);
        }
        c.closeLifeline();
        synchronized (lock) {
            if (child == c) {
                child = null;
            }
        }
    }

    private void fail(String cause) {
        synchronized (lock) {
            if (state != ProcessState.STOPPED && !stopRequested) {
                transition(ProcessState.FAILED, cause);
            }
        }
    }

    // ---- supervision (see Supervisor) ----------------------------------------------------

    /**
     * One restart attempt, scheduled by the supervisor and serialised with ensureRunning() by the
     * start lock. A stop() or a new ensureRunning() since it was scheduled (another epoch) makes it a
     * no-op; a failure schedules the next attempt.
     */
    void restart(Child old, long myEpoch) {
        if (old != null) {
            Supervisor.cleanUpAfterExit(old); // leftovers of the crashed tree must not hold the port
        }
        synchronized (startLock) {
            synchronized (lock) {
                if (stopRequested || epoch != myEpoch || state != ProcessState.RESTARTING) {
                    return;
                }
                supervisor.restartBegins();
            }
            try {
                checkPortFree("is no longer ours");
            } catch (PortInUseException e) {
                synchronized (lock) {
                    if (!stopRequested && epoch == myEpoch) {
                        LOG.error("'{}' FAILED: {}", config.name(), e.getMessage());
                        transition(ProcessState.FAILED, e.getMessage());
                    }
                }
                return;
            }
            try {
                spawnAndAwait(ProcessState.RESTARTING, "restart", myEpoch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (LifecycleException e) {
                synchronized (lock) {
                    if (!stopRequested && epoch == myEpoch && state == ProcessState.RESTARTING) {
                        supervisor.scheduleRestart("restart failed: " + e.getMessage());
                    }
                }
            }
        }
    }

    // state access for the supervisor; each called with the lock held

    Object lock() {
        return lock;
    }

    ProcessState state() {
        return state;
    }

    Child child() {
        return child;
    }

    void clearChild() {
        child = null;
    }

    boolean stopRequested() {
        return stopRequested;
    }

    long epoch() {
        return epoch;
    }

    void lastExitCode(int code) {
        lastExitCode = code;
    }

    private void installShutdownHook() {
        if (!config.shutdownHook() || shutdownHook != null || closed) {
            return;
        }
        Thread hook = new Thread(this::stop, "airouter-" + config.name() + "-shutdown");
        try {
            Runtime.getRuntime().addShutdownHook(hook);
            shutdownHook = hook;
        } catch (IllegalStateException e) {
            // already shutting down; the caller's stop() is the only cleanup left
        }
    }

    // ---- state ----------------------------------------------------------------------------

    /** Called with the lock held. */
    void transition(ProcessState next, String cause) {
        ProcessState previous = state;
        state = next;
        ProcessEvent event = new ProcessEvent(config.name(), previous, next, cause, clock.instant(), snapshot());
        if (next == ProcessState.FAILED) {
            LOG.warn("'{}' {} -> {}: {}", config.name(), previous, next, cause);
        } else {
            LOG.info("'{}' {} -> {}: {}", config.name(), previous, next, cause);
        }
        if (!events.isShutdown()) {
            events.execute(() -> deliver(event));
        }
    }

    private void deliver(ProcessEvent event) {
        for (ProcessListener listener : listeners) {
            try {
                listener.onEvent(event);
            } catch (RuntimeException e) {
                LOG.warn("listener {} threw on {}; ignored", listener, event.state(), e);
            }
        }
    }

    /** Called with the lock held. */
    private ProcessStatus snapshot() {
        OptionalLong pid = child != null ? OptionalLong.of(child.pid)
                : adoptedPid > 0 && state == ProcessState.ADOPTED ? OptionalLong.of(adoptedPid) : OptionalLong.empty();
        boolean up = state == ProcessState.RUNNING || state == ProcessState.ADOPTED || state == ProcessState.STARTING;
        Instant now = clock.instant();
        return new ProcessStatus(config.name(), state, pid, owned && child != null,
                up ? Optional.ofNullable(startedAt) : Optional.empty(),
                up && startedAt != null ? Optional.of(Duration.between(startedAt, now)) : Optional.empty(),
                supervisor.restarts(),
                lastExitCode == null ? OptionalInt.empty() : OptionalInt.of(lastExitCode),
                supervisor.nextRestartAt(),
                config.healthCheck().map(HealthCheck::url).map(URI::normalize),
                config.logFile());
    }

    private ThreadFactory named(String role) {
        return r -> {
            Thread t = new Thread(r, "airouter-" + config.name() + "-" + role);
            t.setDaemon(true);
            return t;
        };
    }
}
