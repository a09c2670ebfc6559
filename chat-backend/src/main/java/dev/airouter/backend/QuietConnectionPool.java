package dev.airouter.backend;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import okhttp3.ConnectionPool;
import okhttp3.internal.concurrent.TaskRunner;
import okhttp3.internal.connection.ConnectionListener;
import org.slf4j.LoggerFactory;

/**
 * The router client's connection pool, with a cleanup thread that is not woken on every call.
 *
 * <p>Why: OkHttp's pool schedules its idle-connection cleanup for "now" each time a connection goes
 * back to the pool, which signals the pool's task thread; that thread then hands the cleanup to a
 * second one. So every {@code /route} call costs two thread wake-ups that only re-check idle timers.
 * On the 2-core benchmark machine that was 1.6-3.7 context switches and 0.05-0.1 ms of CPU per chat
 * request, and 15-20 points of backend throughput ({@code benchmarks/}, {@code BackendLoadBenchmark}).
 * Here the cleanup thread is never signalled: it wakes at the time the pool asked for, or within
 * {@link #MAX_SLEEP} when the pool asks for "now". Idle connections are still closed after the
 * keep-alive, at most {@code MAX_SLEEP} late, and when more than {@code maxIdle} are idle.
 *
 * <p>This uses OkHttp's internal task runner ({@code okhttp3.internal.concurrent}), which OkHttp does
 * not promise to keep. The version is pinned by this project's POM and checked by {@code
 * QuietConnectionPoolTest}. If it cannot be used (another OkHttp version without it, or OkHttp on a
 * module path, where its module does not export it), {@link #create} logs that at DEBUG and returns
 * OkHttp's ordinary pool, which behaves the same apart from the cost.
 */
final class QuietConnectionPool {
    /** Longest delay of a cleanup the pool asked to run at once. */
    static final Duration MAX_SLEEP = Duration.ofSeconds(1);

    private static final AtomicInteger THREADS = new AtomicInteger();

    private final ConnectionPool pool;
    private final Runnable stopThreads; // null: OkHttp's ordinary pool
    private final AtomicLong wakeUps;

    private QuietConnectionPool(ConnectionPool pool, Runnable stopThreads, AtomicLong wakeUps) {
        this.pool = pool;
        this.stopThreads = stopThreads;
        this.wakeUps = wakeUps;
    }

    /**
     * A pool keeping at most {@code maxIdle} idle connections for {@code keepAlive}.
     *
     * @return the quiet pool, or OkHttp's ordinary one if this OkHttp lacks the internals it needs
     */
    static QuietConnectionPool create(int maxIdle, Duration keepAlive) {
        try {
            return Internals.create(maxIdle, keepAlive);
        } catch (LinkageError e) {
            LoggerFactory.getLogger(QuietConnectionPool.class).debug(
                    "this OkHttp has no usable internal TaskRunner ({}); using its ordinary connection pool", e.toString());
            return new QuietConnectionPool(new ConnectionPool(maxIdle, keepAlive.toNanos(), TimeUnit.NANOSECONDS), null, null);
        }
    }

    ConnectionPool pool() {
        return pool;
    }

    /** Whether the unsignalled cleanup thread is in use (false: OkHttp's ordinary pool). */
    boolean isQuiet() {
        return stopThreads != null;
    }

    /** How many times the cleanup thread has woken from a wait, -1 if unknown (ordinary pool); for tests. */
    long wakeUps() {
        return wakeUps == null ? -1 : wakeUps.get();
    }

    /** Closes the idle connections and stops the cleanup thread; connections in use close when released. */
    void close() {
        pool.evictAll();
        if (stopThreads != null) {
            stopThreads.run();
        }
    }

    /**
     * Everything that touches OkHttp's internals, in a class of its own so that a missing one fails
     * inside {@link #create}'s {@code try}, not when {@code QuietConnectionPool} is loaded.
     */
    private static final class Internals {
        static QuietConnectionPool create(int maxIdle, Duration keepAlive) {
            TaskRunner.RealBackend threads = new TaskRunner.RealBackend(runnable -> {
                Thread thread = new Thread(runnable, "airouter-okhttp-pool-" + THREADS.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
            AtomicLong wakeUps = new AtomicLong();
            TaskRunner runner = new TaskRunner(new Unsignalled(threads, wakeUps), Logger.getLogger(TaskRunner.class.getName()));
            ConnectionPool pool = new ConnectionPool(maxIdle, keepAlive.toNanos(), TimeUnit.NANOSECONDS, runner,
                    ConnectionListener.Companion.getNONE());
            return new QuietConnectionPool(pool, threads::shutdown, wakeUps);
        }
    }

    /** OkHttp's backend, except that the waiting coordinator is never signalled, only timed out. */
    private static final class Unsignalled implements TaskRunner.Backend {
        private final TaskRunner.Backend delegate;
        private final AtomicLong wakeUps;

        Unsignalled(TaskRunner.Backend delegate, AtomicLong wakeUps) {
            this.delegate = delegate;
            this.wakeUps = wakeUps;
        }

        @Override
        public long nanoTime() {
            return delegate.nanoTime();
        }

        @Override
        public void coordinatorNotify(TaskRunner taskRunner) {
            // not signalled: the coordinator wakes by itself within MAX_SLEEP
        }

        @Override
        public void coordinatorWait(TaskRunner taskRunner, long nanos) {
            delegate.coordinatorWait(taskRunner, Math.min(nanos, MAX_SLEEP.toNanos()));
            wakeUps.incrementAndGet();
        }

        @Override
        public <T> BlockingQueue<T> decorate(BlockingQueue<T> queue) {
            return delegate.decorate(queue);
        }

        @Override
        public void execute(TaskRunner taskRunner, Runnable runnable) {
            delegate.execute(taskRunner, runnable);
        }
    }
}
