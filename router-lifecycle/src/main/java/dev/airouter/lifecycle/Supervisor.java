package dev.airouter.lifecycle;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The supervision of one {@link ManagedProcess}: what happens when its child exits (restart with
 * backoff, or give up as {@code FAILED} after too many restarts in the policy's window), the
 * liveness probe that kills a hung child for a restart, and the timers behind both.
 *
 * <p>Every field is guarded by the process's lock ({@link ManagedProcess#lock()}), and every method
 * whose name does not say otherwise is called with it held. The restart itself — checking the
 * port, spawning, waiting for readiness — is the process's job ({@link ManagedProcess#restart}),
 * run on this supervisor's own thread so that it never runs on a probe or an output thread. The
 * restart window is measured with the configured clock, so tests move time instead of waiting;
 * backoff delays run on real time.
 */
final class Supervisor {
    private static final Logger LOG = LoggerFactory.getLogger(ManagedProcess.class);

    private final ManagedProcess process;
    private final ProcessConfig config;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService thread;
    private final HealthProber prober;

    // guarded by the process's lock
    private int restarts;
    private final Deque<Instant> restartTimes = new ArrayDeque<>();
    private Instant nextRestartAt;
    private ScheduledFuture<?> livenessTask;
    private ScheduledFuture<?> restartTask;

    Supervisor(ManagedProcess process, ProcessConfig config, ScheduledExecutorService scheduler, HealthProber prober,
            ThreadFactory threads) {
        this.process = process;
        this.config = config;
        this.clock = config.clock();
        this.scheduler = scheduler;
        this.prober = prober;
        this.thread = Executors.newSingleThreadExecutor(threads);
    }

    /** A new start from outside (not a restart): the restart count and window begin again. */
    void reset() {
        restarts = 0;
        restartTimes.clear();
    }

    int restarts() {
        return restarts;
    }

    Optional<Instant> nextRestartAt() {
        return Optional.ofNullable(nextRestartAt);
    }

    /** A restart attempt begins now: it counts against the policy's window. */
    void restartBegins() {
        restartTimes.addLast(clock.instant());
        restarts++;
        nextRestartAt = null;
    }

    /** Runs {@code task} on the supervisor's thread (not holding the lock). */
    void execute(Runnable task) {
        thread.execute(task);
    }

    /**
     * The child exited. Takes the lock itself (called from the exit future's thread). A child that
     * is no longer current, a stop in progress, a start still waiting for readiness and a
     * run-to-completion all report the exit elsewhere.
     */
    void onExit(Child c, int code) {
        synchronized (process.lock()) {
            if (process.child() != c) {
                return;
            }
            process.lastExitCode(code);
            if (process.stopRequested() || process.state() != ProcessState.RUNNING || c.oneShot) {
                return; // stop(), the readiness wait or runToCompletion reports it
            }
            cancelTimers();
            String cause = (c.killedByLiveness ? "killed after failing its liveness probe, " : "")
                    + "exited with code " + code;
            if (config.restartPolicy().restarts(code, c.killedByLiveness)) {
                scheduleRestart(cause);
            } else {
                process.clearChild();
                thread.execute(() -> cleanUpAfterExit(c));
                process.transition(code == 0 ? ProcessState.STOPPED : ProcessState.FAILED, cause);
            }
        }
    }

    /** Ends what is left of an exited child's group (grandchildren) and its lifeline watcher; not under the lock. */
    static void cleanUpAfterExit(Child c) {
        c.closeLifeline();
        ProcessTree.kill(ProcessTree.groupMembers(c.pgid), c.pgid, System.nanoTime() + TimeUnit.SECONDS.toNanos(2));
    }

    /**
     * Schedules the next restart attempt with backoff, or gives up as {@code FAILED} when the policy's
     * window already holds its maximum of restarts.
     */
    void scheduleRestart(String cause) {
        RestartPolicy policy = config.restartPolicy();
        Instant now = clock.instant();
        while (!restartTimes.isEmpty() && Duration.between(restartTimes.peekFirst(), now).compareTo(policy.window()) > 0) {
            restartTimes.removeFirst();
        }
        Child old = process.child();
        process.clearChild(); // the dead child must not be signalled again (its pid may be reused)
        if (restartTimes.size() >= policy.maxRestarts()) {
            if (old != null) {
                thread.execute(() -> cleanUpAfterExit(old));
            }
            String message = "gave up after " + restartTimes.size() + " restarts within " + policy.window().toSeconds()
                    + " s; last: " + cause;
            LOG.error("'{}' FAILED: {}; log: {}", config.name(), message, config.logFile());
            process.transition(ProcessState.FAILED, message);
            return;
        }
        Duration delay = policy.backoff(restartTimes.size() + 1);
        nextRestartAt = now.plus(delay);
        process.transition(ProcessState.RESTARTING, cause + "; restart " + (restartTimes.size() + 1) + " in "
                + delay.toMillis() + " ms");
        long epoch = process.epoch();
        restartTask = scheduler.schedule(() -> thread.execute(() -> process.restart(old, epoch)),
                delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The child is ready: start the liveness probe, if one is configured. */
    void childReady(Child c) {
        Optional<LivenessProbe> probe = config.livenessProbe();
        if (probe.isEmpty() || prober == null) {
            return;
        }
        Duration interval = probe.get().interval();
        AtomicInteger failures = new AtomicInteger();
        livenessTask = scheduler.scheduleWithFixedDelay(() -> {
            synchronized (process.lock()) {
                if (process.child() != c || process.state() != ProcessState.RUNNING) {
                    return;
                }
            }
            HealthProber.Result result = prober.probe(interval);
            if (result.healthy()) {
                failures.set(0);
                return;
            }
            int n = failures.incrementAndGet();
            if (n >= probe.get().failureThreshold()) {
                LOG.warn("'{}' (pid {}) failed {} health checks in a row (last: {}); killing it for a restart",
                        config.name(), c.pid, n, result.detail());
                c.killedByLiveness = true;
                failures.set(0);
                thread.execute(() -> {
                    synchronized (process.lock()) {
                        if (process.child() != c || process.state() != ProcessState.RUNNING) {
                            return; // stopped or restarted meanwhile
                        }
                    }
                    ProcessTree.kill(ProcessTree.snapshot(c.pid, c.pgid), c.pgid,
                            System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
                });
            }
        }, interval.toNanos(), interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    void cancelTimers() {
        if (livenessTask != null) {
            livenessTask.cancel(false);
            livenessTask = null;
        }
        if (restartTask != null) {
            restartTask.cancel(false);
            restartTask = null;
        }
        nextRestartAt = null;
    }

    /** Ends the supervisor's thread, waiting up to 2 s for a task in progress; not under the lock. */
    void shutdown() {
        thread.shutdown();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.shutdownNow();
    }
}
