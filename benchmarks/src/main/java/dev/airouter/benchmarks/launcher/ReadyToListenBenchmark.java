package dev.airouter.benchmarks.launcher;

import dev.airouter.benchmarks.Stats;
import dev.airouter.testing.Processes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * How long after the router starts listening the backend's port accepts a connection, measured from
 * outside: {@code launcher backend} as a user starts it, the router's own "listening since" wall-clock
 * timestamp from its ready line, and the first successful TCP connect to the backend port from a loop
 * that tries every {@value #POLL_PAUSE_MICROS} µs. Beside it, the backend banner's own figure
 * ("listening M ms after the router was ready").
 *
 * <p>The two figures differ in where they start: the outside one at the router's {@code listen()}, the
 * banner's when the backend's readiness check saw the router healthy, so the outside figure also holds
 * the readiness check's latency. Both processes stamp wall-clock time on the same machine, so the
 * difference of the two instants is meaningful to the clock's microsecond resolution (barring a clock
 * step in between); the poll loop adds up to one poll interval, reported per start as "poll gap" (last
 * refused to first accepted) because a busy machine stretches it.
 *
 * <p>Usage: {@code ReadyToListenBenchmark REPO_ROOT [STARTS]} (default 10). Needs
 * {@code launcher/target/launcher.jar}. Prints a Markdown table, then the per-start values fenced.
 * Each launcher is stopped by its pid with SIGTERM; a start fails if any of its processes is still
 * alive {@value #LEFTOVER_GRACE_SECONDS} s after the launcher exited.
 */
public final class ReadyToListenBenchmark {
    /** The launcher jar, relative to the repository root. */
    public static final String JAR = "launcher/target/launcher.jar";
    /** Pause between connect attempts to the backend port; with the attempt itself about 0.6-1 ms per try. */
    public static final long POLL_PAUSE_MICROS = 500;
    /** Pause between attempts until the router has logged its start: the backend cannot listen before that. */
    public static final long EARLY_POLL_PAUSE_MICROS = 10_000;
    /** How long the launcher's processes may outlive it (the router's ppid lifeline needs up to 2 s). */
    public static final long LEFTOVER_GRACE_SECONDS = 5;
    private static final int CONNECT_TIMEOUT_MILLIS = 50;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern ROUTER_PID = Pattern.compile("^\\[router\\] .*Starting AI router .*pid (\\d+)\\)");
    private static final Pattern ROUTER_LISTENING =
            Pattern.compile("^\\[router\\] .*AI router ready on .*; listening since (\\S+Z)\\)");
    private static final Pattern BANNER =
            Pattern.compile("^\\[backend\\] .*chat-backend (?:\\S+ )?ready on .*listening (\\d+(?:\\.\\d+)?) ms after the router was ready");

    private ReadyToListenBenchmark() {}

    /**
     * One start of the launcher, as measured.
     *
     * @param port the backend port
     * @param routerListening the router's "listening since" timestamp
     * @param portOpen when the first connect to the backend port succeeded
     * @param pollGapMillis time from the start of the last refused connect to {@code portOpen}
     * @param attempts connect attempts until then
     * @param bannerMillis the backend banner's "listening M ms after the router was ready"
     * @param stopMillis SIGTERM to the launcher's exit
     * @param exitCode the launcher's exit code
     */
    public record Start(int port, Instant routerListening, Instant portOpen, double pollGapMillis, int attempts,
                        double bannerMillis, double stopMillis, int exitCode) {
        /** @return router listening to backend port open, in milliseconds */
        public double outsideMillis() {
            return Duration.between(routerListening, portOpen).toNanos() / 1e6;
        }
    }

    /**
     * @param args repository root and optional number of starts
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        int starts = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        System.out.println(report(measure(repo, starts)));
    }

    /**
     * Starts and stops the launcher {@code starts} times, one after the other.
     *
     * @param repo the repository root (the launcher runs there, so it uses {@code python-router/})
     * @param starts how many starts to measure
     * @return one record per start
     * @throws IOException if the jar is missing or a start fails (the message has the last output lines)
     * @throws InterruptedException if interrupted
     */
    public static List<Start> measure(Path repo, int starts) throws IOException, InterruptedException {
        Path jar = repo.resolve(JAR);
        if (!Files.isRegularFile(jar)) {
            throw new IOException("build the launcher first (mvn -B -DskipTests package): " + jar + " is missing");
        }
        List<Start> measured = new ArrayList<>();
        for (int i = 0; i < starts; i++) {
            measured.add(startOnce(repo, jar));
        }
        return measured;
    }

    private static Start startOnce(Path repo, Path jar) throws IOException, InterruptedException {
        int port = freePortBelowEphemeralRange();
        Path logs = Files.createTempDirectory("airouter-bench-ready-");
        ProcessBuilder pb = new ProcessBuilder(java(), "-jar", jar.toString(), "backend", "--backend-port",
                Integer.toString(port), "--router-port", "0", "--redis-url", "none", "--log-dir", logs.toString())
                .directory(repo.toFile()).redirectErrorStream(true);
        pb.environment().put("NO_COLOR", "1");
        Process launcher = pb.start();
        LauncherOutput output = new LauncherOutput(launcher);
        boolean stopped = false;
        try {
            PortOpen open = awaitPortOpen(port, launcher, output);
            Instant listening = output.await(output.routerListening, "the router's ready line");
            double banner = output.await(output.banner, "the backend's ready banner");
            Set<Long> tree = processTree(launcher, output);
            long t0 = System.nanoTime();
            int exit = stop(launcher, tree, output);
            stopped = true;
            return new Start(port, listening, open.at(), open.gapMillis(), open.attempts(), banner,
                    (System.nanoTime() - t0) / 1e6, exit);
        } finally {
            if (!stopped) { // a start failed: leave nothing behind, by pid
                Set<Long> tree = processTree(launcher, output);
                launcher.destroyForcibly();
                launcher.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                tree.forEach(Processes::kill);
            }
            deleteTree(logs);
        }
    }

    private record PortOpen(Instant at, double gapMillis, int attempts) {}

    /**
     * Connects to the port until one connect succeeds. A refused connect on loopback returns at once,
     * so the pause between attempts sets the resolution; the connect timeout only matters if the SYN
     * is dropped, which loopback does only with a full backlog. Until the router has logged its start
     * the loop tries only every {@value #EARLY_POLL_PAUSE_MICROS} µs: the backend binds after the router
     * is ready, and a second of tight polling during the JVM's start-up would take CPU from the very
     * processes being measured on a 2-core machine.
     */
    private static PortOpen awaitPortOpen(int port, Process launcher, LauncherOutput output) throws IOException {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        Instant lastRefused = Instant.now();
        int attempts = 0;
        while (launcher.isAlive() && System.nanoTime() < deadline) {
            attempts++;
            Instant attempt = Instant.now();
            try (Socket socket = new Socket()) {
                socket.connect(address, CONNECT_TIMEOUT_MILLIS);
                Instant connected = Instant.now();
                return new PortOpen(connected, Duration.between(lastRefused, connected).toNanos() / 1e6, attempts);
            } catch (IOException refused) {
                lastRefused = attempt;
            }
            long pause = output.routerPid.isDone() ? POLL_PAUSE_MICROS : EARLY_POLL_PAUSE_MICROS;
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(pause));
        }
        throw new IOException("backend port " + port + " never accepted a connection (launcher "
                + (launcher.isAlive() ? "still running after " + START_TIMEOUT.toSeconds() + " s" : "exited with "
                + launcher.exitValue()) + " after " + attempts + " attempts); last output:\n" + output.lastLines());
    }

    /**
     * A port below the kernel's ephemeral range. The poll loop's own connects take ephemeral source
     * ports; with a target port inside that range, a connect can pick the target as its source port and
     * connect to itself (TCP simultaneous open), which would both fake "open" and hold the backend's port.
     */
    private static int freePortBelowEphemeralRange() throws IOException {
        // readAllLines, not readString: on JDK 17 readString returns only the first byte of a /proc/sys file
        String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim();
        int low = Integer.parseInt(range.split("\\s+")[0]);
        if (low <= 10_000) {
            throw new IOException("ephemeral port range starts at " + low + ": no room below it for the backend port");
        }
        for (int tries = 0; tries < 200; tries++) {
            int port = ThreadLocalRandom.current().nextInt(10_000, low);
            try (ServerSocket probe = new ServerSocket()) {
                probe.setReuseAddress(false);
                probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no free loopback port between 10000 and " + low + " after 200 tries");
    }

    /** The launcher's descendants now, plus the router's pid from its start line in case it was re-parented. */
    private static Set<Long> processTree(Process launcher, LauncherOutput output) {
        Set<Long> tree = new HashSet<>();
        launcher.descendants().forEach(h -> tree.add(h.pid()));
        if (output.routerPid.isDone() && !output.routerPid.isCompletedExceptionally()) {
            tree.add(output.routerPid.join());
        }
        return tree;
    }

    /** SIGTERM by pid, wait for the exit, then for every process of the tree to be gone (zombies count as gone). */
    private static int stop(Process launcher, Set<Long> tree, LauncherOutput output)
            throws IOException, InterruptedException {
        launcher.destroy();
        if (!launcher.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            throw new IOException("launcher pid " + launcher.pid() + " still running " + STOP_TIMEOUT.toSeconds()
                    + " s after SIGTERM; last output:\n" + output.lastLines());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LEFTOVER_GRACE_SECONDS);
        while (tree.stream().anyMatch(Processes::isAlive) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // polling the process table
        }
        List<Long> left = tree.stream().filter(Processes::isAlive).sorted().toList();
        if (!left.isEmpty()) {
            left.forEach(Processes::kill);
            throw new IOException("processes left " + LEFTOVER_GRACE_SECONDS + " s after the launcher exited (now "
                    + "killed): " + left + "; last output:\n" + output.lastLines());
        }
        return launcher.exitValue();
    }

    /**
     * The Markdown table (median, spread, target) and the per-start values, fenced.
     *
     * @param starts the measured starts
     * @return the report
     */
    public static String report(List<Start> starts) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Router listening -> backend port open (ReadyToListenBenchmark: %d starts"
                + " of `launcher backend --redis-url none`, the backend port tried every %d us once the router"
                + " has started):%n%n", starts.size(), POLL_PAUSE_MICROS));
        sb.append("| figure | median | p10-p90 | min-max | target |\n|---|---|---|---|---|\n");
        sb.append(row("router \"listening since\" -> backend port accepts a connection (outside)", starts,
                Start::outsideMillis, "median <= 30 ms"));
        sb.append(row("backend banner: \"listening M ms after the router was ready\"", starts,
                s -> s.bannerMillis(), "median <= 5 ms"));
        sb.append(row("outside - banner (mostly the backend's readiness check noticing the router)", starts,
                s -> s.outsideMillis() - s.bannerMillis(), "-"));
        sb.append(row("poll gap (last refused connect -> first accepted)", starts, Start::pollGapMillis, "-"));
        sb.append("\n```\nstart  port   router listening since       backend port open            outside ms"
                + "  banner ms  poll gap ms  attempts  stop ms  exit\n");
        for (int i = 0; i < starts.size(); i++) {
            Start s = starts.get(i);
            sb.append(String.format(Locale.ROOT, "%5d  %5d  %-27s  %-27s  %10.3f  %9.1f  %11.3f  %8d  %7.0f  %4d%n",
                    i + 1, s.port(), s.routerListening(), s.portOpen().truncatedTo(ChronoUnit.MICROS),
                    s.outsideMillis(), s.bannerMillis(),
                    s.pollGapMillis(), s.attempts(), s.stopMillis(), s.exitCode()));
        }
        return sb.append("```\n").toString();
    }

    private static String row(String name, List<Start> starts, ToDoubleFunction<Start> figure, String target) {
        Stats s = Stats.of(starts.stream().map(figure::applyAsDouble).toList());
        return String.format(Locale.ROOT, "| %s | %.1f ms (n=%d) | %.1f-%.1f ms | %.1f-%.1f ms | %s |%n", name,
                s.median(), s.count(), s.quantile(0.1), s.p90(), s.min(), s.max(), target);
    }

    /** Reads the launcher's output on its own thread: keeps the last lines and completes one future per figure. */
    private static final class LauncherOutput {
        private static final int KEPT_LINES = 40;
        final CompletableFuture<Long> routerPid = new CompletableFuture<>();
        final CompletableFuture<Instant> routerListening = new CompletableFuture<>();
        final CompletableFuture<Double> banner = new CompletableFuture<>();
        private final Deque<String> last = new ArrayDeque<>();

        LauncherOutput(Process launcher) {
            Thread reader = new Thread(() -> read(launcher), "launcher-output-" + launcher.pid());
            reader.setDaemon(true);
            reader.start();
        }

        private void read(Process launcher) {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(launcher.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    keep(line);
                    match(line);
                }
            } catch (IOException e) {
                // the pipe breaks when the launcher is killed: the output simply ends
            }
            IOException ended = new IOException("the launcher's output ended");
            Stream.of(routerPid, routerListening, banner).forEach(f -> f.completeExceptionally(ended));
        }

        private synchronized void keep(String line) {
            if (last.size() == KEPT_LINES) {
                last.removeFirst();
            }
            last.addLast(line);
        }

        private void match(String line) {
            Matcher m = ROUTER_PID.matcher(line);
            if (m.find()) {
                routerPid.complete(Long.parseLong(m.group(1)));
            }
            m = ROUTER_LISTENING.matcher(line);
            if (m.find()) {
                routerListening.complete(Instant.parse(m.group(1)));
            }
            m = BANNER.matcher(line);
            if (m.find()) {
                banner.complete(Double.parseDouble(m.group(1)));
            }
        }

        synchronized String lastLines() {
            return String.join("\n", last);
        }

        <T> T await(CompletableFuture<T> figure, String what) throws IOException, InterruptedException {
            try {
                return figure.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new IOException("no " + what + " in the launcher's output; last lines:\n" + lastLines(), e);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
