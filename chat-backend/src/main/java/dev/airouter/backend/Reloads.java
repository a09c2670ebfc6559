package dev.airouter.backend;

import dev.airouter.lifecycle.LifecycleException;
import dev.airouter.lifecycle.ReplicaStartException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router reloads of a backend: one at a time (a second while one runs is refused, naming the
 * running one), each with an id, run on a thread of its own, and the last {@value #KEPT} kept for
 * status queries ({@code GET /api/admin/reload/{id}}). Thread-safe.
 */
final class Reloads {
    private static final Logger LOG = LoggerFactory.getLogger(ChatBackend.class);
    static final int KEPT = 16;

    /** A reload: running, done, or failed. */
    enum State { RUNNING, DONE, FAILED }

    /**
     * One reload.
     *
     * @param result set when done
     * @param error set when failed: what went wrong (exit code, last log lines …)
     */
    record Entry(String id, State state, Instant startedAt, Optional<Instant> endedAt, Optional<ReloadResult> result,
            Optional<String> error) {}

    /** A reload is already running. */
    static final class Conflict extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Entry running;

        Conflict(Entry running) {
            super("a reload (" + running.id() + ") is under way since " + running.startedAt(), null, false, false);
            this.running = running;
        }
    }

    /** Does one reload; throws {@link LifecycleException} (or another runtime exception) when it fails. */
    @FunctionalInterface
    interface Reloader {
        ReloadResult reload() throws InterruptedException;
    }

    private final Reloader reloader;
    private final java.util.function.Supplier<Optional<String>> refusal;
    private final Map<String, Entry> recent = new LinkedHashMap<>();
    private Entry running; // guarded by this
    private volatile boolean stopping;

    /**
     * @param refusal why a reload cannot work at all (nothing of ours to reload), or empty
     */
    Reloads(Reloader reloader, java.util.function.Supplier<Optional<String>> refusal) {
        this.reloader = reloader;
        this.refusal = refusal;
    }

    /**
     * Starts a reload on a thread of its own.
     *
     * @return the running reload and a future of its outcome
     * @throws Conflict if one is running
     * @throws IllegalStateException if there is nothing to reload
     */
    synchronized Started start(String trigger) {
        Optional<String> refused = refusal.get();
        if (refused.isPresent()) {
            throw new IllegalStateException(refused.get());
        }
        if (running != null) {
            throw new Conflict(running);
        }
        if (stopping) {
            throw new IllegalStateException("the backend is stopping");
        }
        String id = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
        Entry entry = new Entry(id, State.RUNNING, Instant.now(), Optional.empty(), Optional.empty(), Optional.empty());
        running = entry;
        keep(entry);
        CompletableFuture<Entry> done = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                done.complete(run(entry, trigger));
            } catch (Throwable t) { // run() catches everything it can; whatever is left still ends the wait
                done.completeExceptionally(t);
                throw t;
            }
        }, "airouter-reload-" + id);
        thread.setDaemon(true);
        thread.start();
        return new Started(entry, done);
    }

    /** A reload just started, and its outcome to come. */
    record Started(Entry entry, CompletableFuture<Entry> done) {}

    private Entry run(Entry entry, String trigger) {
        LOG.info("reloading the routers ({}; reload {})", trigger, entry.id());
        Entry end = failed(entry, "the reload ended unexpectedly; see the backend log");
        try {
            ReloadResult result = reloader.reload();
            end = new Entry(entry.id(), State.DONE, entry.startedAt(), Optional.of(Instant.now()), Optional.of(result),
                    Optional.empty());
            LOG.info("reload {}: generation {} serves, replacing generation {} in {} ms", entry.id(),
                    result.toGeneration(), result.fromGeneration(), result.took().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            end = failed(entry, "interrupted");
        } catch (ReplicaStartException e) {
            if (stopping) {
                end = failed(entry, "the backend stopped during the reload");
            } else {
                end = failed(entry, e.getMessage() + "\nthe previous generation keeps serving");
                LOG.error("reload {} failed; the previous generation keeps serving: {}", entry.id(), e.getMessage());
            }
        } catch (RuntimeException | Error e) { // never leaves the registry stuck at "running"
            end = failed(entry, stopping ? "the backend stopped during the reload" : String.valueOf(e.getMessage() != null
                    ? e.getMessage() : e));
            if (!stopping) {
                LOG.error("reload {} failed", entry.id(), e);
            }
        } finally {
            synchronized (this) {
                running = null;
                keep(end);
            }
        }
        return end;
    }

    /** The backend is stopping: a reload cut short by it says so, not that the old generation serves. */
    void stopping() {
        stopping = true;
    }

    private static Entry failed(Entry entry, String why) {
        return new Entry(entry.id(), State.FAILED, entry.startedAt(), Optional.of(Instant.now()), Optional.empty(),
                Optional.of(why));
    }

    private void keep(Entry entry) {
        recent.put(entry.id(), entry);
        if (recent.size() > KEPT) {
            String oldest = new ArrayList<>(recent.keySet()).get(0);
            recent.remove(oldest);
        }
    }

    synchronized Optional<Entry> get(String id) {
        return Optional.ofNullable(recent.get(id));
    }

    synchronized boolean isRunning() {
        return running != null;
    }

    /** The time a reload has been running, for messages. */
    static Duration age(Entry entry) {
        return Duration.between(entry.startedAt(), entry.endedAt().orElse(Instant.now()));
    }

    List<Entry> all() {
        synchronized (this) {
            return List.copyOf(recent.values());
        }
    }
}
