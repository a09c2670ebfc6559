package dev.airouter.launcher;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Watches a router's source tree and asks for one reload per burst of saves. One
 * {@link WatchService} (one inotify instance on Linux, whatever the size of the tree) with a watch
 * per directory, new subdirectories included as they appear. A burst ends after a quiet period of
 * {@value #QUIET_MILLIS} ms, so saving several files (or an editor's write-rename dance) is one
 * reload. Ignored: {@code __pycache__}, {@code *.pyc}, {@code .venv}/{@code venv},
 * {@code node_modules}, {@code logs} and the log directory, dot-files and dot-directories, and editor
 * temporaries ({@code *~}, {@code *.swp}, {@code *.swx}, {@code .#*}, {@code #*#}, {@code 4913}) — so
 * a router writing its caches or logs inside its own tree does not reload itself in a loop. Only a
 * relevant change extends a burst, and a burst lasts at most {@value #MAX_BURST_MILLIS} ms.
 */
final class RouterWatch implements AutoCloseable {
    static final long QUIET_MILLIS = 300;
    static final long MAX_BURST_MILLIS = 2000;
    private static final Set<String> IGNORED_DIRECTORIES = Set.of("__pycache__", ".venv", "venv", "node_modules", "logs");

    /**
     * A burst of changes.
     *
     * @param files the changed files, relative to the watched tree, in the order they changed
     * @param overflow whether the system dropped events (too many at once): anything may have changed
     * @param firstNanos {@link System#nanoTime()} when the burst's first change was seen
     */
    record Change(List<String> files, boolean overflow, long firstNanos) {
        Change {
            files = List.copyOf(files);
        }

        /** E.g. {@code "ai_router/handlers.py changed"}, {@code "ai_router/a.py and 4 more changed"}. */
        static String describe(List<String> files, boolean overflow) {
            if (files.isEmpty()) {
                return "many files changed at once";
            }
            return files.get(0) + (files.size() > 1 ? " and " + (files.size() - 1) + " more" : "") + " changed";
        }
    }

    private final Path root;
    private final Path logDir; // null when the log directory is not strictly inside the tree
    private final Consumer<Change> onChange;
    private final WatchService watcher;
    private final Map<WatchKey, Path> keys = new HashMap<>();
    private final Thread thread;

    /**
     * @param onChange receives each burst
     */
    RouterWatch(Path root, Path logDir, Consumer<Change> onChange) throws IOException {
        this.root = real(root);
        Path logs = real(logDir);
        // only a log directory inside the tree is left out; one that holds the tree must not hide it
        this.logDir = logs.startsWith(this.root) && !logs.equals(this.root) ? logs : null;
        this.onChange = onChange;
        this.watcher = FileSystems.getDefault().newWatchService();
        register(this.root, null);
        this.thread = new Thread(this::run, "airouter-router-watch");
        thread.setDaemon(true);
        thread.start();
    }

    private static Path real(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        try {
            return absolute.toRealPath();
        } catch (IOException e) {
            return absolute; // not there (yet): as given
        }
    }

    /** Watches {@code dir} and the directories below it; with {@code found}, collects the files already there. */
    private void register(Path dir, Set<String> found) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                if (!d.equals(root) && ignored(d)) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                keys.put(d.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                        StandardWatchEventKinds.ENTRY_DELETE), d);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (found != null && !ignored(file)) {
                    found.add(root.relativize(file).toString());
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE; // gone meanwhile, or unreadable: nothing to watch there
            }
        });
    }

    /** Whether a change to this path (file or directory) says nothing about the router's code. */
    boolean ignored(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        if (logDir != null && absolute.startsWith(logDir)) {
            return true;
        }
        Path relative = root.relativize(absolute);
        for (Path part : relative) {
            String name = part.toString();
            if (name.startsWith(".") || IGNORED_DIRECTORIES.contains(name)) {
                return true;
            }
        }
        String name = absolute.getFileName() == null ? "" : absolute.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".pyc") || name.endsWith("~") || name.endsWith(".swp") || name.endsWith(".swx")
                || name.startsWith(".#") || (name.startsWith("#") && name.endsWith("#")) || name.equals("4913");
    }

    private void run() {
        try {
            while (true) {
                Burst burst = new Burst();
                WatchKey first = watcher.take();
                long begin = System.nanoTime();
                collect(first, burst);
                long quietUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS);
                // the burst goes on until a quiet period passes without a relevant change (at most MAX_BURST_MILLIS)
                while (true) {
                    long now = System.nanoTime();
                    long end = Math.min(quietUntil, begin + TimeUnit.MILLISECONDS.toNanos(MAX_BURST_MILLIS));
                    if (now >= end) {
                        break;
                    }
                    WatchKey next = watcher.poll(end - now, TimeUnit.NANOSECONDS);
                    if (next == null) {
                        break;
                    }
                    if (collect(next, burst)) {
                        quietUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS);
                    }
                }
                // a file created and gone within the burst is an editor's or a tool's temporary (sed -i,
                // write-then-rename): it names nothing, the rename's target does
                burst.changed.removeIf(f -> burst.created.contains(f) && !Files.exists(root.resolve(f)));
                if (!burst.changed.isEmpty() || burst.overflow) {
                    onChange.accept(new Change(new ArrayList<>(burst.changed), burst.overflow, begin));
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    /** What one burst changed. */
    private static final class Burst {
        final Set<String> changed = new LinkedHashSet<>();
        final Set<String> created = new HashSet<>();
        boolean overflow;
    }

    /** @return whether the key held a relevant change */
    private boolean collect(WatchKey key, Burst burst) {
        Path dir = keys.get(key);
        boolean relevant = false;
        for (WatchEvent<?> event : key.pollEvents()) {
            if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                burst.overflow = true;
                relevant = true;
                try {
                    register(root, null); // directories made meanwhile are watched from now on
                } catch (IOException e) {
                    // the tree went away: nothing more to watch
                }
                continue;
            }
            if (dir == null) {
                continue;
            }
            Path path = dir.resolve((Path) event.context());
            if (ignored(path)) {
                continue;
            }
            if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE && Files.isDirectory(path)) {
                try {
                    Set<String> inside = new LinkedHashSet<>();
                    register(path, inside); // a new subdirectory (mkdir -p && cp, mv, git checkout), and its files
                    burst.changed.addAll(inside);
                    relevant |= !inside.isEmpty();
                } catch (IOException e) {
                    // gone again: nothing to watch
                }
                continue;
            }
            if (!Files.isDirectory(path)) {
                String name = root.relativize(path).toString();
                burst.changed.add(name);
                if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE) {
                    burst.created.add(name);
                }
                relevant = true;
            }
        }
        if (!key.reset()) {
            keys.remove(key);
        }
        return relevant;
    }

    /** @return how long a burst of saves has to be quiet before it counts as one change */
    static Duration quietPeriod() {
        return Duration.ofMillis(QUIET_MILLIS);
    }

    @Override
    public void close() {
        try {
            watcher.close();
        } catch (IOException e) {
            // closing a watch service does not fail in a way that matters here
        }
        thread.interrupt();
    }
}
