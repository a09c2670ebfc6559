package dev.airouter.launcher;

import dev.airouter.backend.ChatBackend;
import dev.airouter.backend.ReloadFailedException;
import dev.airouter.backend.ReloadResult;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
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
 * <p>Loop guard: a router that writes a file into its own tree at start (outside what the watch
 * ignores) would reload itself for ever. When the same set of files starts changing while each of
 * {@value #MAX_CHAINED} reloads in a row runs (a developer saves after a reload has ended, the
 * router writes while its new generation starts), those files are taken for the router's own: a
 * change to them alone no longer reloads (a warning names them), a change to any other file still
 * does. SIGHUP is never held back.
 */
final class ReloadTrigger {
    static final int MAX_CHAINED = 3;
    private static final String KEEPS_SERVING = "the previous generation keeps serving";

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
    private long currentStart = Long.MIN_VALUE; // guarded by this: System.nanoTime() when the running reload began
    private long lastStart = Long.MIN_VALUE; // guarded by this: ... when the last finished reload began
    private long lastEnd = Long.MIN_VALUE; // guarded by this: ... and ended
    private List<String> lastFiles = List.of(); // guarded by this: the files of the last watch request
    private int streak; // guarded by this: watch requests in a row, each for lastFiles, each begun while a reload ran
    private final Set<String> routersOwn = new LinkedHashSet<>(); // guarded by this: files the router writes itself
    private volatile boolean closed;

    ReloadTrigger(ChatBackend backend, Console console) {
        this.backend = backend;
        this.console = console;
    }

    /** Asks for a reload; {@code why} names the trigger, e.g. {@code "SIGHUP received"}. */
    synchronized void request(String why) {
        enqueue(why);
    }

    /** A burst of saves in the watched tree: a reload, unless only the router's own files changed. */
    synchronized void onChange(RouterWatch.Change change) {
        List<String> files = change.files().stream().filter(f -> !routersOwn.contains(f)).toList();
        if (files.isEmpty() && !change.overflow()) {
            return; // only files the router writes itself
        }
        long first = change.firstNanos();
        boolean whileReloading = running && currentStart != Long.MIN_VALUE && first - currentStart >= 0
                || lastStart != Long.MIN_VALUE && first - lastStart >= 0 && lastEnd - first >= 0;
        streak = whileReloading && files.equals(lastFiles) ? streak + 1 : 0;
        lastFiles = files;
        if (streak >= MAX_CHAINED) {
            routersOwn.addAll(files);
            streak = 0;
            console.line(Console.Source.LAUNCHER, "warning: " + String.join(", ", files) + " changed while each of the"
                    + " last " + MAX_CHAINED + " reloads ran: written by the router itself, it seems."
                    + " Changes to " + (files.size() == 1 ? "it" : "them") + " no longer reload (other files still do;"
                    + " restart to undo)");
            return;
        }
        enqueue(RouterWatch.Change.describe(files, change.overflow()));
    }

    /** Called with the lock held. */
    private void enqueue(String why) {
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
        running = true;
        thread.execute(() -> loop(why));
    }

    /** @return whether a reload asked for here runs or waits to run */
    synchronized boolean isBusy() {
        return running;
    }

    private void loop(String first) {
        String why = first;
        try {
            while (why != null && !closed) {
                synchronized (this) {
                    currentStart = System.nanoTime();
                }
                runOnce(why);
                synchronized (this) {
                    lastStart = currentStart;
                    lastEnd = System.nanoTime();
                    why = pendingCount > 1 ? pending + " (and " + (pendingCount - 1) + " earlier during the last reload)"
                            : pending;
                    pending = null;
                    pendingCount = 0;
                    if (why == null) {
                        running = false;
                    }
                }
            }
        } finally {
            synchronized (this) {
                running = false;
            }
        }
    }

    private void runOnce(String why) {
        try {
            while (!closed && backend.isReloading()) { // one started through the admin endpoint: after it
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
            if (closed) {
                return; // stopping: no new generation now
            }
            long next = backend.routerStatus().generation() + 1;
            console.line(Console.Source.LAUNCHER, why + " — reloading router (generation " + next + ")");
            ReloadResult result = backend.reload();
            console.line(Console.Source.LAUNCHER, "router reloaded: generation " + result.toGeneration() + " serves"
                    + " (was " + result.fromGeneration() + ", " + result.took().toMillis() + " ms)");
        } catch (ReloadFailedException e) {
            if (closed) {
                return; // cut short by the stop
            }
            console.line(Console.Source.LAUNCHER, "reload failed — " + KEEPS_SERVING + ":");
            for (String line : String.valueOf(e.getMessage()).split("\n")) {
                if (!line.equals(KEEPS_SERVING)) { // said above
                    console.line(Console.Source.LAUNCHER, "  " + line);
                }
            }
        } catch (RuntimeException e) {
            if (!closed) {
                console.line(Console.Source.LAUNCHER, "reload not done: " + e.getMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closed while waiting for the outcome
        }
    }

    /** No reload begins after this; one under way goes on until the backend stops. */
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
