package dev.airouter.launcher;

import dev.airouter.backend.ChatBackend;
import dev.airouter.backend.ReloadFailedException;
import dev.airouter.backend.ReloadResult;
import dev.airouter.backend.RouterStatus;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs the reloads that SIGHUP and the file watch ask for, one at a time on a thread of its own, and
 * coalesces: requests that come while a reload runs (saves during a slow reload) become exactly one
 * follow-up reload when it ends — never lost, never several. A reload already started through the
 * admin endpoint is waited for first. The outcome of each goes to the console; a failed one leaves
 * the old generation serving and the next request tries again.
 *
 * <p>Loop guard: a router that writes into its own tree (outside what the watch ignores) would
 * reload itself for ever, each new generation's start changing the tree again. A request that comes
 * during a reload, or within {@link #LOOP_WINDOW} of its end, is chained to it; after
 * {@value #MAX_CHAINED} chained reloads in a row the next chained requests are dropped with a warning
 * naming the change. A request that comes later starts a new count.
 */
final class ReloadTrigger {
    static final int MAX_CHAINED = 3;
    static final Duration LOOP_WINDOW = Duration.ofSeconds(2);

    private final ChatBackend backend;
    private final Console console;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "airouter-reload-trigger");
        t.setDaemon(true);
        return t;
    });
    private boolean running; // guarded by this
    private String pending; // guarded by this: why the follow-up reload runs (the latest request)
    private int pendingCount; // guarded by this: requests coalesced into the follow-up
    private int chained; // guarded by this: reloads in a row, each asked for during or right after the one before
    private long lastEnd = Long.MIN_VALUE; // guarded by this: System.nanoTime() when the last reload ended
    private volatile boolean closed;

    ReloadTrigger(ChatBackend backend, Console console) {
        this.backend = backend;
        this.console = console;
    }

    /** Asks for a reload; {@code why} names the trigger, e.g. {@code "ai_router/handlers.py changed"}. */
    synchronized void request(String why) {
        if (closed) {
            return;
        }
        if (running) {
            if (pending == null) {
                console.line(Console.Source.LAUNCHER, why + " — a reload is under way; one more follows it");
            }
            pending = why;
            pendingCount++;
            return;
        }
        boolean rightAfter = lastEnd != Long.MIN_VALUE && System.nanoTime() - lastEnd < LOOP_WINDOW.toNanos();
        chained = rightAfter ? chained + 1 : 0;
        if (refuseLoop(why)) {
            return;
        }
        running = true;
        thread.execute(() -> loop(why));
    }

    /** Called with the lock held, for a chained request. */
    private boolean refuseLoop(String why) {
        if (chained <= MAX_CHAINED) {
            return false;
        }
        if (chained == MAX_CHAINED + 1) { // once per streak
            console.line(Console.Source.LAUNCHER, "warning: the router's files changed during or right after each of"
                    + " the last " + MAX_CHAINED + " reloads (now: " + why + "); the router seems to write into its"
                    + " own tree. Not reloading for that; a save after a quiet moment reloads as usual");
        }
        return true;
    }

    /** @return whether a reload asked for here runs or waits to run */
    synchronized boolean isBusy() {
        return running;
    }

    private void loop(String first) {
        String why = first;
        while (why != null && !closed) {
            runOnce(why);
            synchronized (this) {
                lastEnd = System.nanoTime();
                why = pendingCount > 1 ? pending + " (and " + (pendingCount - 1) + " earlier during the last reload)"
                        : pending;
                pending = null;
                pendingCount = 0;
                if (why != null) {
                    chained++;
                    if (refuseLoop(why)) {
                        why = null;
                    }
                }
                if (why == null) {
                    running = false;
                }
            }
        }
        synchronized (this) {
            running = false;
        }
    }

    private void runOnce(String why) {
        while (backend.isReloading() && !closed) { // one started through the admin endpoint: after it
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        long next = backend.routerStatus().generation() + 1;
        console.line(Console.Source.LAUNCHER, why + " — reloading router (generation " + next + ")");
        try {
            ReloadResult result = backend.reload();
            console.line(Console.Source.LAUNCHER, "router reloaded: generation " + result.toGeneration() + " serves"
                    + " (was " + result.fromGeneration() + ", " + result.took().toMillis() + " ms)");
        } catch (ReloadFailedException e) {
            console.line(Console.Source.LAUNCHER, "reload failed — the previous generation keeps serving:");
            for (String line : e.getMessage().split("\n")) {
                if (!line.equals("the previous generation keeps serving")) { // said above
                    console.line(Console.Source.LAUNCHER, "  " + line);
                }
            }
        } catch (IllegalStateException e) {
            console.line(Console.Source.LAUNCHER, "reload not done: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void close() {
        closed = true;
        thread.shutdownNow();
        try {
            thread.awaitTermination(Duration.ofSeconds(1).toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
