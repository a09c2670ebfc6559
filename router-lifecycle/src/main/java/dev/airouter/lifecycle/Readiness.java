package dev.airouter.lifecycle;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits until a spawned child passes every readiness check, using a Resilience4j Retry whose
 * interval grows exponentially: 5 ms growing ×1.5 per attempt to 25 ms during the first 10 s (a refused loopback connect costs microseconds, so probing often
 * while a start is young is cheap and makes readiness visible within ~20 ms), then growing to 250
 * ms. The wait ends early, with the exit code and last output lines, the moment the child exits —
 * the child's exit future completes the result directly, so no probe interval delays it.
 *
 * <p>A line of output also triggers a probe at once (at most one every {@value #EARLY_SPACING_MILLIS}
 * ms, one at a time): servers tend to say when they start listening, so readiness is seen within a
 * millisecond or two of that line instead of after up to a whole interval. A line that arrives
 * while such a probe runs gets one more probe after it, so the moment is never missed.
 */
final class Readiness {
    private static final Logger LOG = LoggerFactory.getLogger(Readiness.class);
    static final Duration YOUNG = Duration.ofSeconds(10);
    private static final long FIRST_MILLIS = 5;
    private static final long YOUNG_MAX_MILLIS = 25;
    private static final long MAX_MILLIS = 250;
    static final long EARLY_SPACING_MILLIS = 5;

    /** Thrown inside the retry to end it without another attempt. */
    private static final class Abort extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Abort() {
            super(null, null, false, false);
        }
    }

    private Readiness() {}

    /**
     * @return a future that completes when ready, or exceptionally with {@link ProcessExitedException}
     *     or {@link StartupTimeoutException}; cancelling it stops the probing
     */
    static CompletableFuture<Void> await(ProcessConfig config, Child child, HealthProber prober,
            ScheduledExecutorService scheduler) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        long start = System.nanoTime();
        Duration timeout = config.startupTimeout();
        List<ReadinessCheck> checks = config.readiness();

        child.exit.whenComplete((code, error) -> {
            if (!result.isDone()) {
                int exitCode = code != null ? code : -1;
                result.completeExceptionally(exited(config, child, exitCode, System.nanoTime() - start));
            }
        });
        ScheduledFuture<?> timer = scheduler.schedule(() -> {
            result.completeExceptionally(new StartupTimeoutException("'" + config.name() + "' (pid " + child.pid
                    + ") was not ready within the startup timeout of " + timeout.toMillis() + " ms; waited for "
                    + checks + "; it has been stopped. Last output:" + lines(child), timeout));
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        result.whenComplete((v, e) -> timer.cancel(false));
        EarlyProbes early = new EarlyProbes(checks, child, prober, config.clock(), scheduler, result);
        child.pump.onEachLine(early::lineArrived);
        result.whenComplete((v, e) -> child.pump.onEachLine(null));

        RetryConfig retryConfig = RetryConfig.<Boolean>custom()
                .maxAttempts(Integer.MAX_VALUE)
                .intervalFunction((IntervalFunction) attempt -> interval(attempt, System.nanoTime() - start))
                .retryOnResult(ready -> !ready)
                .retryOnException(e -> !(e instanceof Abort))
                .failAfterMaxAttempts(false)
                .build();
        Retry retry = Retry.of(config.name() + "-readiness", retryConfig);
        if (result.isDone()) {
            return result; // exited before the first probe
        }
        // The supplier reports "stop probing" as a failed stage, never by throwing: Resilience4j runs
        // the first attempt on this thread and would let a thrown exception escape await().
        retry.executeCompletionStage(scheduler, () -> {
            if (result.isDone() || child.exit.isDone()) {
                return CompletableFuture.<Boolean>failedFuture(new Abort());
            }
            try {
                return CompletableFuture.completedFuture(probe(checks, child, prober, config.clock()));
            } catch (RuntimeException e) {
                return CompletableFuture.<Boolean>failedFuture(e);
            }
        }).whenComplete((ready, error) -> {
            if (Boolean.TRUE.equals(ready)) {
                result.complete(null);
            }
        });
        return result;
    }

    /**
     * Exponential backoff: 5 ms × 1.5 per attempt, capped at 25 ms while the start-up is younger
     * than 10 s; after that it keeps growing ×1.5 per second of age, capped at 250 ms.
     */
    static long interval(int attempt, long elapsedNanos) {
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(elapsedNanos);
        if (elapsedMillis < YOUNG.toMillis()) {
            return Math.min(YOUNG_MAX_MILLIS, Math.round(FIRST_MILLIS * Math.pow(1.5, Math.max(0, attempt - 1))));
        }
        double seconds = (elapsedMillis - YOUNG.toMillis()) / 1000.0;
        return Math.min(MAX_MILLIS, Math.round(YOUNG_MAX_MILLIS * Math.pow(1.5, seconds)));
    }

    /**
     * Probes triggered by output lines: one at a time, at most one per {@value #EARLY_SPACING_MILLIS}
     * ms; a line seen while one runs (or waits) is covered by a further probe once it is done.
     */
    private static final class EarlyProbes {
        private final List<ReadinessCheck> checks;
        private final Child child;
        private final HealthProber prober;
        private final Clock clock;
        private final ScheduledExecutorService scheduler;
        private final CompletableFuture<Void> result;
        private final AtomicLong lines = new AtomicLong();
        private final AtomicBoolean scheduled = new AtomicBoolean();
        private volatile long lastNanos = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(EARLY_SPACING_MILLIS);

        EarlyProbes(List<ReadinessCheck> checks, Child child, HealthProber prober, Clock clock,
                ScheduledExecutorService scheduler, CompletableFuture<Void> result) {
            this.checks = checks;
            this.child = child;
            this.prober = prober;
            this.clock = clock;
            this.scheduler = scheduler;
            this.result = result;
        }

        void lineArrived() {
            lines.incrementAndGet();
            schedule();
        }

        private void schedule() {
            if (result.isDone() || !scheduled.compareAndSet(false, true)) {
                return;
            }
            long wait = lastNanos + TimeUnit.MILLISECONDS.toNanos(EARLY_SPACING_MILLIS) - System.nanoTime();
            try {
                scheduler.schedule(this::run, Math.max(0, wait), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                scheduled.set(false); // shutting down: the regular probes and the exit handling remain
            }
        }

        private void run() {
            long seen = lines.get();
            lastNanos = System.nanoTime();
            try {
                if (!result.isDone() && !child.exit.isDone() && probe(checks, child, prober, clock)) {
                    result.complete(null);
                }
            } catch (RuntimeException e) {
                // the regular probes report what goes wrong
            } finally {
                scheduled.set(false);
            }
            if (lines.get() != seen) {
                schedule();
            }
        }
    }

    private static boolean probe(List<ReadinessCheck> checks, Child child, HealthProber prober, Clock clock) {
        Target target = new Target(child, prober, clock);
        for (ReadinessCheck check : checks) {
            boolean passed;
            try {
                passed = check.isReady(target);
            } catch (RuntimeException e) {
                LOG.debug("readiness check {} threw; not ready yet", check, e);
                passed = false;
            }
            if (!passed) {
                return false;
            }
        }
        return true;
    }

    /** What a readiness check sees of one spawn. */
    private static final class Target implements ReadinessTarget {
        private final Child child;
        private final HealthProber prober;
        private final Clock clock;

        Target(Child child, HealthProber prober, Clock clock) {
            this.child = child;
            this.prober = prober;
            this.clock = clock;
        }

        @Override
        public long pid() {
            return child.pid;
        }

        @Override
        public Duration elapsed() {
            return Duration.between(child.startedAt, clock.instant());
        }

        @Override
        public boolean isHealthy() {
            return prober != null && prober.probe().healthy();
        }

        @Override
        public boolean hasPrinted(Pattern pattern) {
            return child.pump.hasPrinted(Objects.requireNonNull(pattern, "pattern"));
        }

        @Override
        public List<String> lastLines() {
            return child.pump.lastLines();
        }
    }

    static ProcessExitedException exited(ProcessConfig config, Child child, int exitCode, long afterNanos) {
        // The exit handler runs after commons-exec joined the output readers (bounded), so the
        // last lines are in the ring by now.
        return new ProcessExitedException("'" + config.name() + "' (pid " + child.pid + ") exited with code "
                + exitCode + " after " + TimeUnit.NANOSECONDS.toMillis(afterNanos)
                + " ms, before it was ready; command: " + String.join(" ", config.command())
                + "; log: " + config.logFile() + ". Last output:" + lines(child), exitCode, child.pump.lastLines());
    }

    static String lines(Child child) {
        List<String> lines = child.pump.lastLines();
        if (lines.isEmpty()) {
            return " (none)";
        }
        StringBuilder sb = new StringBuilder();
        for (String l : lines) {
            sb.append("\n  | ").append(l);
        }
        return sb.toString();
    }
}
