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
import java.util.HashMap;
import java.util.HashSet;
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
 * temporaries ({@code *~}, {@code *.swp}, {@code *.swx}, {@code .#*}, {@code 4913}) — so a router
 * writing its caches or logs inside its own tree does not reload itself in a loop.
 */
final class RouterWatch implements AutoCloseable {
    static final long QUIET_MILLIS = 300;
    private static final Set<String> IGNORED_DIRECTORIES = Set.of("__pycache__", ".venv", "venv", "node_modules", "logs");

    private final Path root;
    private final Path logDir;
    private final Consumer<String> onChange;
    private final WatchService watcher;
    private final Map<WatchKey, Path> keys = new HashMap<>();
    private final Thread thread;

    /**
     * @param onChange receives a description of a burst, e.g. {@code "ai_router/handlers.py changed"}
     */
    RouterWatch(Path root, Path logDir, Consumer<String> onChange) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        this.logDir = logDir.toAbsolutePath().normalize();
        this.onChange = onChange;
        this.watcher = FileSystems.getDefault().newWatchService();
        register(this.root);
        this.thread = new Thread(this::run, "airouter-router-watch");
        thread.setDaemon(true);
        thread.start();
    }

    private void register(Path dir) throws IOException {
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
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE; // gone meanwhile, or unreadable: nothing to watch there
            }
        });
    }

    /** Whether a change to this path (file or directory) says nothing about the router's code. */
    boolean ignored(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        if (absolute.startsWith(logDir)) {
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
                || name.startsWith(".#") || name.equals("4913");
    }

    private void run() {
        try {
            while (true) {
                Set<String> changed = new LinkedHashSet<>();
                Set<String> created = new HashSet<>();
                collect(watcher.take(), changed, created);
                while (true) { // the burst goes on until a quiet period passes without a relevant change
                    WatchKey next = watcher.poll(QUIET_MILLIS, TimeUnit.MILLISECONDS);
                    if (next == null) {
                        break;
                    }
                    collect(next, changed, created);
                }
                // a file created and gone within the burst is an editor's or a tool's temporary (sed -i,
                // write-then-rename): it names nothing, the rename's target does
                changed.removeIf(f -> created.contains(f) && !Files.exists(root.resolve(f)));
                if (!changed.isEmpty()) {
                    String first = changed.iterator().next();
                    onChange.accept(first + (changed.size() > 1 ? " and " + (changed.size() - 1) + " more" : "") + " changed");
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    private void collect(WatchKey key, Set<String> changed, Set<String> created) {
        Path dir = keys.get(key);
        for (WatchEvent<?> event : key.pollEvents()) {
            if (dir == null || event.kind() == StandardWatchEventKinds.OVERFLOW) {
                if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                    changed.add("(many files)");
                }
                continue;
            }
            Path path = dir.resolve((Path) event.context());
            if (ignored(path)) {
                continue;
            }
            if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE && Files.isDirectory(path)) {
                try {
                    register(path); // a new subdirectory, and what is already in it
                } catch (IOException e) {
                    // gone again: nothing to watch
                }
            }
            if (!Files.isDirectory(path)) {
                String name = root.relativize(path).toString();
                changed.add(name);
                if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE) {
                    created.add(name);
                }
            }
        }
        if (!key.reset()) {
            keys.remove(key);
        }
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
