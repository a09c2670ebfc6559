package dev.airouter.benchmarks.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airouter.testing.HttpConnection;
import dev.airouter.testing.Processes;
import dev.airouter.testing.RawHttp;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A chat backend in its own JVM, started as a user starts it: {@code java -jar launcher.jar backend
 * --backend-port 0 --router-port 0 --redis-url none …} with the caller's options. Its URL comes from
 * the {@code chat-backend ready on URL} banner (the same line before and after issue 16, so an older
 * launcher jar works too). Its output is drained on a thread of its own and the last lines kept for
 * error messages.
 *
 * <p>{@link #close()} stops it by its pid with SIGTERM and then checks that every process of its
 * tree (its descendants and every router pid it reported) is gone, killing stragglers by pid; it is
 * idempotent.
 */
final class LauncherBackend implements AutoCloseable {
    private static final Pattern BANNER = Pattern.compile("chat-backend (?:\\S+ )?ready on (http://\\S+)"); // the instance id since issue 20
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration LEFTOVER_GRACE = Duration.ofSeconds(5);
    private static final int KEPT_LINES = 40;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final Process process;
    private final Path logDir;
    private final CompletableFuture<URI> url = new CompletableFuture<>();
    private final Deque<String> last = new ArrayDeque<>();
    private final Set<Long> routerPids = ConcurrentHashMap.newKeySet();
    private boolean closed;

    /** One router replica as {@code GET /health} reports it. */
    record Replica(int index, long pid, boolean ready, int restarts) {}

    private LauncherBackend(String name, Process process, Path logDir) {
        this.name = name;
        this.process = process;
        this.logDir = logDir;
        Thread reader = new Thread(this::drain, "backend-output-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts a backend and waits for its banner.
     *
     * @param jar the launcher jar
     * @param name a label for messages and the log directory
     * @param options more {@code launcher backend} options, e.g. {@code --routers 2}
     * @return the running backend
     * @throws IOException if it does not start (the message has its last output lines)
     * @throws InterruptedException if interrupted while waiting
     */
    static LauncherBackend start(Path jar, String name, List<String> options) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("--router-port", "0", "--redis-url", "none"));
        all.addAll(options);
        return startWith(jar, name, all);
    }

    /**
     * As {@link #start}, with only {@code --backend-port 0} and {@code --log-dir} given: the caller
     * chooses the router ({@code --router-url}, {@code --router-port}) and the store.
     */
    static LauncherBackend startWith(Path jar, String name, List<String> options) throws IOException, InterruptedException {
        Path logs = Files.createTempDirectory("airouter-bench-" + name + "-");
        List<String> command = new ArrayList<>(List.of(java(), "-jar", jar.toString(), "backend", "--backend-port", "0",
                "--log-dir", logs.toString()));
        command.addAll(options);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("NO_COLOR", "1");
        LauncherBackend backend = new LauncherBackend(name, pb.start(), logs);
        try {
            backend.url.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            backend.replicas(); // notes the router pids for close()
            return backend;
        } catch (ExecutionException | TimeoutException e) {
            backend.close();
            throw new IOException("backend " + name + " did not print its ready banner within "
                    + START_TIMEOUT.toSeconds() + " s (" + String.join(" ", command) + "); last output:\n"
                    + backend.lastLines(), e);
        } catch (IOException | RuntimeException | InterruptedException e) {
            backend.close();
            throw e;
        }
    }

    String name() {
        return name;
    }

    int port() {
        return url.join().getPort();
    }

    long pid() {
        return process.pid();
    }

    /**
     * The routers now, from {@code GET /health} ({@code router.replicas}; a backend from before issue
     * 16 has none: then its single router from {@code router.pid}).
     *
     * @return the replicas by index
     * @throws IOException if the backend does not answer
     */
    List<Replica> replicas() throws IOException {
        try (HttpConnection c = RawHttp.keepAlive("127.0.0.1", port(), Duration.ofSeconds(10))) {
            return replicas(c);
        }
    }

    /**
     * {@link #replicas()} over a connection of the caller's (a poller's).
     *
     * @param connection a connection to this backend
     * @return the replicas by index
     * @throws IOException if the backend does not answer
     */
    List<Replica> replicas(HttpConnection connection) throws IOException {
        JsonNode router = JSON.readTree(connection.get("/health").body()).path("router");
        List<Replica> out = new ArrayList<>();
        if (router.has("replicas")) {
            for (JsonNode r : router.path("replicas")) {
                out.add(new Replica(r.path("index").asInt(), r.path("pid").asLong(-1), r.path("ready").asBoolean(),
                        r.path("restarts").asInt()));
            }
        } else {
            out.add(new Replica(0, router.path("pid").asLong(-1), router.path("healthy").asBoolean(),
                    router.path("restarts").asInt()));
        }
        out.forEach(r -> {
            if (r.pid() > 0) {
                routerPids.add(r.pid());
            }
        });
        return out;
    }

    /**
     * Counts the lines of the backend's log ({@code backend.log}) that contain {@code fragment}.
     *
     * @param fragment the text to look for
     * @return how many lines hold it; 0 if there is no log
     * @throws IOException if the log cannot be read
     */
    long logLinesContaining(String fragment) throws IOException {
        Path log = logDir.resolve("backend.log");
        if (!Files.exists(log)) {
            return 0;
        }
        try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
            return lines.filter(l -> l.contains(fragment)).count();
        }
    }

    private void drain() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                keep(line);
                Matcher m = BANNER.matcher(line);
                if (!url.isDone() && m.find()) {
                    url.complete(URI.create(m.group(1)));
                }
            }
        } catch (IOException e) {
            // the pipe breaks when the process is killed: the output simply ends
        }
        url.completeExceptionally(new IOException("the backend's output ended"));
    }

    private synchronized void keep(String line) {
        if (last.size() == KEPT_LINES) {
            last.removeFirst();
        }
        last.addLast(line);
    }

    synchronized String lastLines() {
        return String.join("\n", last);
    }

    /**
     * SIGTERM by pid, a wait for the exit, then for every process of the tree to be gone (zombies
     * count as gone); stragglers are killed by pid and reported.
     *
     * @throws IllegalStateException if the backend or one of its routers had to be killed
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Set<Long> tree = ConcurrentHashMap.newKeySet();
        tree.addAll(routerPids);
        process.descendants().forEach(h -> tree.add(h.pid()));
        process.destroy();
        String problem = null;
        try {
            if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                problem = "backend " + name + " (pid " + process.pid() + ") still running " + STOP_TIMEOUT.toSeconds()
                        + " s after SIGTERM (now killed)";
            }
            long deadline = System.nanoTime() + LEFTOVER_GRACE.toNanos();
            while (tree.stream().anyMatch(Processes::isAlive) && System.nanoTime() < deadline) {
                Thread.sleep(10); // polling the process table: there is nothing to wait on
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Long> left = tree.stream().filter(Processes::isAlive).sorted().toList();
        left.forEach(Processes::kill);
        deleteTree(logDir);
        if (!left.isEmpty()) {
            problem = (problem == null ? "" : problem + "; ") + "processes of backend " + name + " left "
                    + LEFTOVER_GRACE.toSeconds() + " s after it exited (now killed): " + left;
        }
        if (problem != null) {
            throw new IllegalStateException(problem + "; last output:\n" + lastLines());
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary directory: the OS cleans it up eventually
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
