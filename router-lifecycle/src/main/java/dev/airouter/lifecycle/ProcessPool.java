package dev.airouter.lifecycle;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * N replicas of one command, each a full {@link ManagedProcess} (own process group, lifeline,
 * restart policy, liveness probe) on a port of its own, and a new generation of them brought in
 * without a gap: started beside the old one, announced once ready, the old one retired, drained and
 * stopped.
 *
 * <pre>{@code
 * ProcessConfig template = ProcessConfig.builder("ai-router")
 *         .command("python3", "-m", "ai_router", "--port", "{port}")
 *         .healthCheck(HealthCheck.http("http://127.0.0.1:{port}/health"))
 *         .restartPolicy(RestartPolicy.onFailure())
 *         .build();
 * try (ProcessPool pool = ProcessPool.create(PoolConfig.builder(template).replicas(3).build())) {
 *     pool.start();                                     // all three ready, or none left running
 *     pool.replicas().forEach(r -> System.out.println(r.url() + " " + r.state()));
 *     pool.replace(Rollout.blueGreen(), Drain.immediately()); // generation 2 takes over, no gap
 * }                                                     // close(): every tree stops
 * }</pre>
 *
 * <h2>What it promises</h2>
 * <ul>
 *   <li><b>Start</b> ({@link #start()}): all replicas in parallel, all or nothing — it returns when
 *       every one is ready, or stops the ones that started and throws {@link ReplicaStartException}
 *       naming each failure with its exit code and last log lines.
 *   <li><b>Announced means ready</b>: a replica is announced ({@link Replica#isReady()}, event
 *       {@code READY}) only after its readiness check passed; a retiring one is never ready again.
 *   <li><b>Replace</b> ({@link #replace}): successors on new ports, all ready, announced; then the
 *       predecessors retire, drain ({@link Drain}, bounded by the drain timeout) and stop. There is
 *       no moment without a ready replica of one generation or the other (with a fixed port there
 *       is one: the old process must go before the new one can listen). A successor that fails to
 *       get ready leaves the predecessors untouched (blue/green) or ends the rollout where it is
 *       (rolling). One replace at a time: a second one, or a resize during one, is refused.
 *   <li><b>Supervision</b> stays each replica's own: a crash restarts that replica (same generation,
 *       same port); a crash during a replace is handled the same way, and the retiring one is still
 *       stopped after its drain.
 *   <li><b>Stop</b> ({@link #stop()}, {@link #close()}): every tree in parallel, with the guarantees
 *       of {@link ManagedProcess#stop()}; no orphans after {@code kill -9} of the JVM.
 * </ul>
 *
 * <h2>Generations, ports and logs</h2>
 * The generation is pool-wide: 1 at start, bumped by every {@link #replace} (not by restarts or
 * {@link #resize}); each process gets it in {@value #GENERATION_VARIABLE} and {@value #GENERATION}.
 * Replicas never adopt a process found on their port. A pool of one writes {@code logs/<name>.log}
 * as a single process would; replicas of a larger pool write {@code logs/<name>-<index>.log}. A
 * successor shares its index's log writer with its predecessor (one writer per file, so rotation
 * stays correct), and every line is marked with its generation ({@code [g2] …}, or
 * {@code "generation":2} in the objects a {@linkplain ProcessConfig.Builder#jsonLog(boolean) JSON-lines
 * log} wraps lines in); so is every line the template's output listener receives, with the index too
 * in a larger pool ({@code [#1 g2] …}).
 *
 * <h2>Meters</h2>
 * With a {@linkplain PoolConfig.Builder#meterRegistry Micrometer registry} in its configuration the
 * pool publishes each replica index's state, restarts, startup duration and generation, and its
 * number of ready replicas; the names and tags are listed there.
 *
 * <h2>Threads</h2>
 * Events reach listeners in order on the pool's event thread. Starts and stops of replicas run in
 * parallel on the pool's worker threads. All public methods are thread-safe; the operations that
 * change the replica set (start, resize, replace) run one at a time.
 */
public final class ProcessPool implements AutoCloseable {
    /** The placeholder for a replica's port, in the template's command and health check URL. */
    public static final String PORT = "{port}";
    /** The placeholder for a replica's generation, in the template's command. */
    public static final String GENERATION = "{generation}";
    /** The environment variable that carries a replica's generation. */
    public static final String GENERATION_VARIABLE = "AIROUTER_GENERATION";

    private static final Logger LOG = LoggerFactory.getLogger(ProcessPool.class);

    private final PoolConfig config;
    private final ProcessConfig template;
    private final List<ReplicaListener> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService workers;
    private final ExecutorService events;
    /** Held by start, resize, replace and (waiting for them) stop: one change of the replica set at a time. */
    private final ReentrantLock operations = new ReentrantLock();
    /** Completed by stop(): ends drain waits at once. */
    private final CompletableFuture<Void> stopSignal = new CompletableFuture<>();
    private final Object lock = new Object();
    private final PoolMetrics metrics;

    // guarded by lock
    private final List<Member> members = new ArrayList<>();
    private final Map<Integer, RotatingLog> logs = new HashMap<>();
    private long generation = 1;
    private String operation; // what holds `operations`, for the refusal message
    private boolean stopping;
    private boolean closed;

    /** One replica: its process and what the pool has said about it. */
    private final class Member {
        final int index;
        final long generation;
        final int port;
        final URI url;
        final ManagedProcess process;
        // guarded by lock; read unlocked for snapshots (volatile)
        volatile boolean announced;
        volatile boolean retiring;
        volatile boolean gone;
        /** The last kind emitted, on the event thread only: a READY is never repeated. */
        ReplicaEvent.Kind lastEmitted;

        Member(int index, long generation, int port, ManagedProcess process) {
            this.index = index;
            this.generation = generation;
            this.port = port;
            this.url = baseUrl(port);
            this.process = process;
        }

        Replica snapshot() {
            return new Replica(index, generation, port, url, process.status(), announced, retiring);
        }

        String describe() {
            return "#" + index + " (generation " + generation + ", port " + port + ")";
        }
    }

    private ProcessPool(PoolConfig config) {
        this.config = config;
        this.template = config.template();
        AtomicInteger count = new AtomicInteger();
        this.workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "airouter-" + template.name() + "-pool-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.events = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "airouter-" + template.name() + "-pool-events");
            t.setDaemon(true);
            return t;
        });
        // last: its gauges may read this pool as soon as they are registered; and PoolMeters, the one
        // class that uses Micrometer, is only touched when a registry was given
        if (config.meterRegistry().isPresent()) {
            this.metrics = PoolMeters.register(this, config.meterRegistry().get(), template.name());
        } else {
            this.metrics = PoolMetrics.NONE;
        }
    }

    /**
     * Creates a pool; nothing starts until {@link #start()}. With a meter registry in the
     * configuration, the pool's own meter is registered now, each index's when its replica is added.
     *
     * @param config the configuration
     * @return the new, empty pool
     * @throws IllegalArgumentException if the configuration's meter registry already has the meters of
     *     an open pool of the same name
     */
    public static ProcessPool create(PoolConfig config) {
        return new ProcessPool(Objects.requireNonNull(config, "config"));
    }

    /** @return the configuration */
    public PoolConfig config() {
        return config;
    }

    /**
     * Adds a listener for every replica's events.
     *
     * @param listener called on the pool's event thread for every later event
     */
    public void addListener(ReplicaListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** @return the pool's current generation: 1, plus one per {@link #replace} begun */
    public long generation() {
        synchronized (lock) {
            return generation;
        }
    }

    /**
     * Returns the replicas: serving, starting, restarting and retiring ones, by index, then
     * generation. A replica that has left the pool is not listed.
     *
     * @return immutable snapshots
     */
    public List<Replica> replicas() {
        List<Member> current;
        synchronized (lock) {
            current = new ArrayList<>(members);
        }
        current.sort(Comparator.comparingInt((Member m) -> m.index).thenComparingLong(m -> m.generation));
        List<Replica> out = new ArrayList<>(current.size());
        for (Member m : current) {
            out.add(m.snapshot());
        }
        return List.copyOf(out);
    }

    /**
     * Starts {@link PoolConfig#replicas()} replicas in parallel and returns once every one is ready
     * and announced. All or nothing: if any fails, the others are stopped too.
     *
     * @throws ReplicaStartException naming every failed replica (exit code, last log lines, port holder …)
     * @throws IllegalStateException if the pool was started before, or is stopped
     * @throws InterruptedException if interrupted (every replica is stopped)
     */
    public void start() throws InterruptedException {
        begin("start");
        try {
            synchronized (lock) {
                if (!members.isEmpty() || generation != 1) {
                    throw new IllegalStateException("pool '" + template.name() + "' was started already");
                }
            }
            List<Member> batch = new ArrayList<>();
            synchronized (lock) {
                for (int i = 0; i < config.replicas(); i++) {
                    batch.add(add(i, 1));
                }
            }
            trackMeters();
            long begin = System.nanoTime();
            startAll(batch, "start");
            announce(batch, "started");
            LOG.info("pool '{}': {} replica(s) of generation 1 ready in {} ms", template.name(), batch.size(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
        } finally {
            end();
        }
    }

    /**
     * Changes the number of serving replicas. Growing starts the new ones in parallel (all or
     * nothing) and announces them once ready; shrinking retires the highest indexes, drains them
     * and stops them.
     *
     * @param replicas the new number, 1–64
     * @param drain tells when a retiring replica has nothing in flight any more
     * @throws IllegalArgumentException if out of range, or more than one with a fixed port
     * @throws ReplicaStartException if an added replica failed to start (the added ones are stopped)
     * @throws IllegalStateException if the pool is not started, is stopped, or is being replaced
     * @throws InterruptedException if interrupted
     */
    public void resize(int replicas, Drain drain) throws InterruptedException {
        Objects.requireNonNull(drain, "drain");
        if (replicas < 1 || replicas > PoolConfig.MAX_REPLICAS) {
            throw new IllegalArgumentException("replicas must be 1-" + PoolConfig.MAX_REPLICAS + ", was " + replicas);
        }
        if (replicas > 1 && config.fixedPort().isPresent()) {
            throw new IllegalArgumentException("a pool with a fixed port has one replica; cannot resize to " + replicas);
        }
        begin("resize");
        try {
            List<Member> serving;
            long gen;
            synchronized (lock) {
                requireStarted();
                serving = serving();
                gen = generation;
            }
            if (replicas > serving.size()) {
                List<Member> batch = new ArrayList<>();
                synchronized (lock) {
                    for (int i = 0; batch.size() < replicas - serving.size(); i++) {
                        int index = i;
                        if (serving.stream().noneMatch(m -> m.index == index)) {
                            batch.add(add(index, gen));
                        }
                    }
                }
                trackMeters();
                startAll(batch, "resize to " + replicas);
                announce(batch, "added by resize to " + replicas);
            } else if (replicas < serving.size()) {
                List<Member> retire = serving.stream().sorted(Comparator.comparingInt((Member m) -> m.index).reversed())
                        .limit(serving.size() - replicas).toList();
                retire(retire, "resize to " + replicas, drain);
            }
        } finally {
            end();
        }
    }

    /**
     * Replaces every serving replica with one of a new generation, blue/green: see
     * {@link #replace(Rollout, Drain)}.
     *
     * @param drain tells when a retiring replica has nothing in flight any more
     * @return what was replaced, and how long it took
     * @throws ReplicaStartException if a successor failed to get ready (the predecessors serve on)
     * @throws IllegalStateException if the pool is not started, is stopped, or a replace or resize runs
     * @throws InterruptedException if interrupted (successors not yet announced are stopped)
     */
    public ReplaceResult replace(Drain drain) throws InterruptedException {
        return replace(Rollout.blueGreen(), drain);
    }

    /**
     * Replaces every serving replica with one of a new generation (the generation is bumped first):
     * each successor starts on a new port and must pass its readiness check; then it is announced,
     * its predecessor retires (no new work), is drained (bounded by the drain timeout) and stopped.
     * Blue/green starts all successors at once and, if any fails, stops all of them and leaves the
     * predecessors untouched. Rolling starts {@code maxSurge} at a time and on a failure stops where
     * it is (the failed batch's successors are stopped; earlier batches stay replaced). With a fixed
     * port the predecessor is stopped before its successor starts (a gap), and started again if the
     * successor fails.
     *
     * @param rollout blue/green or rolling
     * @param drain tells when a retiring replica has nothing in flight any more
     * @return what was replaced, and how long it took
     * @throws ReplicaStartException if successors failed to get ready; {@link ReplicaStartException#serving()}
     *     says what serves now
     * @throws IllegalStateException if the pool is not started, is stopped, or a replace or resize runs
     * @throws InterruptedException if interrupted (successors not yet announced are stopped)
     */
    public ReplaceResult replace(Rollout rollout, Drain drain) throws InterruptedException {
        Objects.requireNonNull(rollout, "rollout");
        Objects.requireNonNull(drain, "drain");
        begin("replace");
        try {
            long begin = System.nanoTime();
            List<Member> predecessors;
            long from;
            long to;
            synchronized (lock) {
                requireStarted();
                predecessors = serving();
                // what serves, not the counter: a replace that failed before bumped it without replacing
                from = predecessors.stream().mapToLong(m -> m.generation).max().orElse(generation);
                to = ++generation;
            }
            LOG.info("pool '{}': replacing {} replica(s) of generation {} with generation {} ({})", template.name(),
                    predecessors.size(), from, to, rollout.isBlueGreen() ? "blue/green" : "rolling, " + rollout.maxSurge()
                            + " at a time");
            if (config.fixedPort().isPresent()) {
                replaceInPlace(predecessors.get(0), to, drain);
            } else {
                int step = Math.min(rollout.maxSurge(), predecessors.size());
                for (int i = 0; i < predecessors.size(); i += step) {
                    List<Member> olds = predecessors.subList(i, Math.min(predecessors.size(), i + step));
                    List<Member> news = new ArrayList<>();
                    synchronized (lock) {
                        for (Member old : olds) {
                            news.add(add(old.index, to));
                        }
                    }
                    startAll(news, "replace with generation " + to);
                    announce(news, "generation " + to + " replaces generation " + from);
                    retire(olds, "replaced by generation " + to, drain);
                }
            }
            Duration took = Duration.ofNanos(System.nanoTime() - begin);
            LOG.info("pool '{}': generation {} serves; replaced generation {} in {} ms", template.name(), to, from,
                    took.toMillis());
            return new ReplaceResult(from, to, took, replicas());
        } finally {
            end();
        }
    }

    /** A fixed port cannot hold two processes: stop, then start; on failure start the old one again. */
    private void replaceInPlace(Member old, long to, Drain drain) throws InterruptedException {
        LOG.warn("pool '{}' has a fixed port ({}): the old process stops before the new one starts, a gap in"
                + " service", template.name(), old.port);
        retire(List.of(old), "replaced by generation " + to + " (fixed port: stop before start)", drain);
        Member successor;
        synchronized (lock) {
            successor = add(old.index, to);
        }
        try {
            startAll(List.of(successor), "replace with generation " + to);
        } catch (ReplicaStartException e) {
            Member again;
            synchronized (lock) {
                again = add(old.index, old.generation);
            }
            try {
                startAll(List.of(again), "restart of generation " + old.generation + " after a failed replace");
                announce(List.of(again), "started again after generation " + to + " failed");
            } catch (ReplicaStartException e2) {
                e.addSuppressed(e2);
            }
            throw new ReplicaStartException(e.getMessage() + (again.gone ? "; the previous generation could not be"
                    + " started again either" : "; the previous generation was started again"), e.failures(), replicas());
        }
        announce(List.of(successor), "generation " + to + " replaces generation " + old.generation);
    }

    /**
     * Stops every replica in parallel (see {@link ManagedProcess#stop()}); a start, resize or replace
     * in progress fails. Idempotent, thread-safe, safe from a shutdown hook. The pool cannot be
     * started again.
     */
    public void stop() {
        List<Member> all;
        synchronized (lock) {
            stopping = true;
            all = List.copyOf(members);
        }
        stopSignal.complete(null);
        stopAll(all, "pool stopped");
        operations.lock(); // an operation in progress ends (its replicas are stopped) before stop returns
        try {
            synchronized (lock) {
                all = List.copyOf(members); // what an operation added while we were stopping
            }
            stopAll(all, "pool stopped");
        } finally {
            operations.unlock();
        }
    }

    /**
     * Stops every replica (see {@link #stop()}), closes the logs, removes the pool's meters and ends
     * the pool's threads. Idempotent.
     */
    @Override
    public void close() {
        stop();
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            logs.values().forEach(RotatingLog::close);
        }
        metrics.close();
        workers.shutdown();
        events.shutdown();
        try {
            events.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- operations ---------------------------------------------------------------------------

    private void begin(String what) {
        if (!operations.tryLock()) {
            String running;
            synchronized (lock) {
                running = operation;
            }
            throw new IllegalStateException("pool '" + template.name() + "': cannot " + what + " while a "
                    + (running != null ? running : "change") + " is in progress; wait for it to finish");
        }
        synchronized (lock) {
            if (stopping) {
                operations.unlock();
                throw new IllegalStateException("pool '" + template.name() + "' is stopped; create a new one");
            }
            operation = what;
        }
    }

    private void end() {
        try {
            trackMeters(); // indexes a resize took away, or a failed start never brought up
        } finally {
            synchronized (lock) {
                operation = null;
            }
            operations.unlock();
        }
    }

    /** Tells the meters which indexes have replicas; not under the lock (see {@link PoolMeters}). */
    private void trackMeters() {
        Set<Integer> indexes;
        synchronized (lock) {
            if (stopping) {
                return; // a stopped pool keeps its meters (all "stopped") until close()
            }
            indexes = members.stream().map(m -> m.index).collect(Collectors.toUnmodifiableSet());
        }
        metrics.track(indexes);
    }

    /**
     * The replica the meters report at {@code index}: of two sharing it during a replace, the
     * successor (the newest one not retiring) if there is one, else the newest.
     */
    Optional<Replica> reported(int index) {
        Member chosen = null;
        synchronized (lock) {
            for (Member m : members) {
                if (m.index == index && (chosen == null || (chosen.retiring && !m.retiring)
                        || (chosen.retiring == m.retiring && m.generation > chosen.generation))) {
                    chosen = m;
                }
            }
        }
        return chosen == null ? Optional.empty() : Optional.of(chosen.snapshot());
    }

    /** Called with the lock held. */
    private void requireStarted() {
        if (members.isEmpty()) {
            throw new IllegalStateException("pool '" + template.name() + "' is not started; call start() first");
        }
    }

    /** The replicas that serve or will again (not retiring), by index. Called with the lock held. */
    private List<Member> serving() {
        return members.stream().filter(m -> !m.retiring && m.announced).sorted(Comparator.comparingInt(m -> m.index))
                .toList();
    }

    /** Creates (does not start) a replica and adds it to the pool. Called with the lock held. */
    private Member add(int index, long gen) {
        if (stopping) {
            throw new IllegalStateException("pool '" + template.name() + "' is stopping");
        }
        int port = config.fixedPort().orElseGet(PortHolder::freeLoopbackPort);
        RotatingLog log = logs.computeIfAbsent(index, i -> new RotatingLog(logFile(i), template.logMaxBytes(),
                template.logBackups()));
        ManagedProcess process = ManagedProcess.create(replicaConfig(index, port, gen), log, gen);
        Member member = new Member(index, gen, port, process);
        process.addListener(event -> {
            try {
                events.execute(() -> onProcessEvent(member, event));
            } catch (RejectedExecutionException e) {
                // closed: nobody is listening any more
            }
        });
        members.add(member);
        emit(member, ReplicaEvent.Kind.ADDED, "generation " + gen + " on port " + port);
        return member;
    }

    private ProcessConfig replicaConfig(int index, int port, long gen) {
        ProcessConfig.Builder b = template.toBuilder();
        List<String> command = new ArrayList<>();
        for (String arg : template.command()) {
            command.add(arg.replace(PORT, Integer.toString(port)).replace(GENERATION, Long.toString(gen)));
        }
        b.command(command);
        Map<String, String> environment = new LinkedHashMap<>(template.environment());
        config.portVariable().ifPresent(v -> environment.put(v, Integer.toString(port)));
        environment.put(GENERATION_VARIABLE, Long.toString(gen));
        b.environment(environment);
        template.healthCheck().ifPresent(h -> b.healthCheck(h.withPort(port)));
        template.outputListener().ifPresent(listener -> {
            String prefix = config.replicas() == 1 && index == 0 ? "[g" + gen + "] " : "[#" + index + " g" + gen + "] ";
            b.outputListener(line -> listener.accept(prefix + line));
        });
        b.allowAdoption(false);
        b.logFile(logFile(index));
        return b.build();
    }

    private Path logFile(int index) {
        Path base = template.logFile();
        if (config.replicas() == 1 && index == 0) {
            return base;
        }
        String file = base.getFileName().toString();
        String stem = file.endsWith(".log") ? file.substring(0, file.length() - 4) : file;
        return base.resolveSibling(stem + "-" + index + ".log");
    }

    private URI baseUrl(int port) {
        return template.healthCheck().map(h -> {
            HealthCheck resolved = h.withPort(port);
            return URI.create(resolved.httpUrl().scheme() + "://" + resolved.httpUrl().host() + ":" + port);
        }).orElse(URI.create("http://127.0.0.1:" + port));
    }

    /**
     * Starts replicas in parallel and waits for all. If any fails (or this thread is interrupted),
     * all of them are stopped and removed, and the failures are thrown together.
     */
    private void startAll(List<Member> batch, String what) throws InterruptedException {
        List<CompletableFuture<ProcessStatus>> starts = new ArrayList<>();
        for (Member m : batch) {
            starts.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return m.process.ensureRunning();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new LifecycleException("interrupted while starting " + m.describe(), e);
                }
            }, workers));
        }
        List<LifecycleException> failures = new ArrayList<>();
        StringBuilder message = new StringBuilder();
        try {
            for (int i = 0; i < batch.size(); i++) {
                try {
                    starts.get(i).get();
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    LifecycleException failure = cause instanceof LifecycleException ? (LifecycleException) cause
                            : new LifecycleException(cause.toString(), cause);
                    failures.add(failure);
                    message.append("\n  ").append(batch.get(i).describe()).append(": ").append(failure.getMessage());
                }
            }
        } catch (InterruptedException e) {
            stopAll(batch, "interrupted during " + what);
            throw e;
        }
        boolean stopped;
        synchronized (lock) {
            stopped = stopping;
        }
        if (failures.isEmpty() && stopped) {
            failures.add(new LifecycleException("the pool was stopped"));
            message.append("\n  the pool was stopped during ").append(what);
        }
        if (!failures.isEmpty()) {
            stopAll(batch, "failed " + what);
            throw new ReplicaStartException("pool '" + template.name() + "': " + failures.size() + " of "
                    + batch.size() + " replica(s) failed to start (" + what + "); the ones that started were stopped:"
                    + message, failures, replicas());
        }
    }

    /** Announces started replicas as serving, together. */
    private void announce(List<Member> batch, String cause) {
        synchronized (lock) {
            for (Member m : batch) {
                m.announced = true;
            }
        }
        for (Member m : batch) {
            // Decided here, not on the event thread: a replica retired or stopped right after this
            // (a resize, a replace) did serve, and its listeners see READY before RETIRING and GONE.
            if (m.process.status().state() != ProcessState.RUNNING) {
                continue; // crashed meanwhile: its process events tell the rest
            }
            Replica snapshot = m.snapshot();
            try {
                events.execute(() -> {
                    ReplicaEvent.Kind last = m.lastEmitted;
                    if (last != ReplicaEvent.Kind.DOWN && last != ReplicaEvent.Kind.RESTARTING) {
                        deliver(m, ReplicaEvent.Kind.READY, snapshot, cause);
                    }
                });
            } catch (RejectedExecutionException e) {
                // closed: nobody is listening any more
            }
        }
    }

    /** Retires replicas: no new work from now on, then their drain (bounded), then their stop. */
    private void retire(List<Member> olds, String cause, Drain drain) throws InterruptedException {
        synchronized (lock) {
            for (Member m : olds) {
                m.retiring = true;
            }
        }
        List<CompletableFuture<?>> drains = new ArrayList<>();
        for (Member m : olds) {
            emit(m, ReplicaEvent.Kind.RETIRING, cause);
            CompletableFuture<?> drained;
            try {
                drained = drain.drained(m.snapshot()).toCompletableFuture();
            } catch (RuntimeException e) {
                LOG.warn("pool '{}': the drain of {} threw; stopping it without waiting", template.name(),
                        m.describe(), e);
                drained = CompletableFuture.completedFuture(null);
            }
            drains.add(drained);
        }
        Duration timeout = config.drainTimeout();
        try {
            CompletableFuture.anyOf(CompletableFuture.allOf(drains.toArray(new CompletableFuture<?>[0])), stopSignal)
                    .get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            LOG.warn("pool '{}': {} replica(s) still had work in flight after the drain timeout of {} ms; stopping"
                    + " them anyway", template.name(), drains.stream().filter(f -> !f.isDone()).count(), timeout.toMillis());
        } catch (ExecutionException e) {
            LOG.warn("pool '{}': a drain failed ({}); stopping the retiring replicas", template.name(), e.getCause());
        }
        stopAll(olds, cause);
    }

    /** Stops replicas in parallel and removes them from the pool once their trees are gone. */
    private void stopAll(List<Member> batch, String cause) {
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (Member m : batch) {
            stops.add(CompletableFuture.runAsync(() -> stopOne(m, cause), workers));
        }
        boolean interrupted = false;
        for (CompletableFuture<Void> f : stops) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // a stop is not cut short; the flag is restored below
                } catch (ExecutionException e) {
                    LOG.warn("pool '{}': stopping a replica failed", template.name(), e.getCause());
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void stopOne(Member m, String cause) {
        synchronized (lock) {
            m.retiring = true;
        }
        m.process.close();
        boolean first;
        synchronized (lock) {
            first = !m.gone;
            m.gone = true;
            members.remove(m);
        }
        if (first) {
            emit(m, ReplicaEvent.Kind.GONE, cause);
        }
    }

    // ---- events -------------------------------------------------------------------------------

    /** A replica's process changed state (on the process's event thread, relayed to the pool's). */
    private void onProcessEvent(Member m, ProcessEvent event) {
        metrics.processEvent(m.index, event); // a retiring replica's restart counts too
        if (m.gone || m.retiring) {
            return; // the pool reports retiring and leaving itself
        }
        switch (event.state()) {
            case RUNNING:
                if (m.announced && event.previous() == ProcessState.RESTARTING) {
                    emitNow(m, ReplicaEvent.Kind.READY, event.cause());
                }
                break;
            case RESTARTING:
                if (event.previous() == ProcessState.RUNNING) {
                    emitNow(m, ReplicaEvent.Kind.DOWN, event.cause());
                }
                emitNow(m, ReplicaEvent.Kind.RESTARTING, event.cause());
                break;
            case FAILED:
            case STOPPED:
                if (m.announced) {
                    emitNow(m, ReplicaEvent.Kind.DOWN, event.cause());
                }
                break;
            default:
                break;
        }
    }

    private void emit(Member m, ReplicaEvent.Kind kind, String cause) {
        Replica snapshot = m.snapshot();
        try {
            events.execute(() -> deliver(m, kind, snapshot, cause));
        } catch (RejectedExecutionException e) {
            // closed: nobody is listening any more
        }
    }

    /** On the event thread. */
    private void emitNow(Member m, ReplicaEvent.Kind kind, String cause) {
        deliver(m, kind, m.snapshot(), cause);
    }

    /** On the event thread: a READY right after a READY says nothing new. */
    private void deliver(Member m, ReplicaEvent.Kind kind, Replica snapshot, String cause) {
        if (kind == ReplicaEvent.Kind.READY && m.lastEmitted == ReplicaEvent.Kind.READY) {
            return;
        }
        m.lastEmitted = kind;
        ReplicaEvent event = new ReplicaEvent(kind, snapshot, cause, Instant.now(template.clock()));
        LOG.debug("pool '{}' replica {}: {} ({})", template.name(), m.describe(), kind, cause);
        for (ReplicaListener listener : listeners) {
            try {
                listener.onEvent(event);
            } catch (RuntimeException e) {
                LOG.warn("replica listener {} threw on {}; ignored", listener, kind, e);
            }
        }
    }

    /**
     * What a {@link #replace} did.
     *
     * @param from the generation that was replaced (the newest one among the replaced replicas)
     * @param to the generation that serves now
     * @param took how long the whole replacement took (start, drain and stop)
     * @param replicas the replicas after it
     */
    public record ReplaceResult(long from, long to, Duration took, List<Replica> replicas) {
        /**
         * Validates and copies the components.
         *
         * @throws NullPointerException if a component is null
         */
        public ReplaceResult {
            Objects.requireNonNull(took, "took");
            replicas = List.copyOf(replicas);
        }
    }
}
