package dev.airouter.testing;

import dev.airouter.testing.Polls.Check;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A real Prometheus server (Debian's {@code prometheus} package, 2.42) as a child process on a free
 * loopback port, scraping one target, so a test sees its {@code /metrics} the way production
 * monitoring does: scraped, stored and queried with PromQL.
 *
 * <pre>{@code
 * try (PrometheusServer prometheus = PrometheusServer.start(tempDir, "127.0.0.1:" + port, "/metrics",
 *         Duration.ofSeconds(1))) {
 *     prometheus.awaitTargetUp(Duration.ofSeconds(60));
 *     double requests = prometheus.query("sum(http_server_requests_seconds_count)");
 * }
 * }</pre>
 *
 * <p>It runs {@code prometheus --config.file=WORK/prometheus.yml --storage.tsdb.path=WORK/data
 * --web.listen-address=127.0.0.1:PORT --web.enable-lifecycle --web.console.templates=WORK/consoles
 * --web.console.libraries=WORK/console_libraries} with its output appended to {@code
 * WORK/prometheus.log}, where {@code WORK} is the caller's directory, and returns once {@code /-/ready}
 * answers 200 (about 0.3 s here). The generated configuration has one job, {@value #JOB}, with one
 * static target; its series carry {@code job="airouter"} and {@code instance="HOST:PORT"}. The scrape
 * timeout is the scrape interval, at most 10 s. Nothing is read from {@code /etc/prometheus} or written
 * to {@code /var/lib/prometheus} (the console directories point at nonexistent paths in {@code WORK},
 * which Prometheus only reads when its console pages are requested), and nothing goes to the network
 * beyond the target. The caller owns {@code WORK}: {@link #close()} leaves the log and data there.
 *
 * <p>Timing: Prometheus hands new targets from service discovery to the scrape manager at most every
 * 5 s, so the first scrape comes up to about 5 s plus one interval after the start. Wait for it with
 * {@link #awaitTargetUp}, not a sleep. An instant query sees a series' last sample for up to 5 min
 * ({@code --query.lookback-delta}), unless the target went away and Prometheus marked it stale.
 *
 * <p>The Debian package also installs a {@code prometheus} service (a systemd unit and an {@code
 * /etc/init.d} script running {@code /usr/bin/prometheus} on :9090 with {@code
 * /etc/prometheus/prometheus.yml}). It is neither needed nor used: in a container without systemd it
 * does not run ({@code ps} shows no {@code prometheus} process after the package's installation), and
 * where it does run it does not conflict, since this server has its own port, configuration and
 * storage.
 *
 * <p>When {@code prometheus} is neither on the {@code PATH} nor in {@code /usr/bin}, {@link #start}
 * skips the test, or fails it when the {@code CI} environment variable is set ({@code apt-get install
 * -y prometheus}). Queries may come from any thread; {@link #close()} is idempotent.
 */
public final class PrometheusServer implements AutoCloseable {
    /** How long {@link #start} waits for {@code /-/ready} to answer 200. */
    public static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    /** The {@code job} label of the scraped target's series. */
    public static final String JOB = "airouter";
    private static final String EXECUTABLE = "prometheus";
    private static final Duration MAX_SCRAPE_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern HOST_PORT =
            Pattern.compile("[A-Za-z0-9.-]+:[0-9]{1,5}|\\[[0-9A-Fa-f:.]+\\]:[0-9]{1,5}"); // name, IPv4, [IPv6]
    private static final Pattern METRICS_PATH = Pattern.compile("/[A-Za-z0-9._~/-]*");

    private final Path executable;
    private final Path directory;
    private final String target;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(REQUEST_TIMEOUT).build();
    private Process process;
    private Thread reaper;

    private PrometheusServer(Path executable, Path directory, String target, int port) {
        this.executable = executable;
        this.directory = directory;
        this.target = target;
        this.port = port;
    }

    /**
     * Starts Prometheus on a free loopback port, scraping {@code http://TARGET/METRICS_PATH}, and waits
     * until it is ready. Readiness does not mean scraped yet; see {@link #awaitTargetUp}.
     *
     * @param workDir a directory for the configuration, the log and the TSDB ({@code data}); created
     *     if missing, left in place by {@link #close()}
     * @param targetHostPort the target, e.g. {@code 127.0.0.1:8080}
     * @param metricsPath the target's metrics path, e.g. {@code /metrics}
     * @param scrapeInterval how often to scrape, at least 1 ms; 1 s suits tests
     * @return the running server; close it to stop it
     * @throws IllegalStateException if it exits or is not ready within {@link #STARTUP_TIMEOUT}, with
     *     the end of its log
     */
    public static PrometheusServer start(Path workDir, String targetHostPort, String metricsPath,
            Duration scrapeInterval) {
        if (!HOST_PORT.matcher(targetHostPort).matches()) {
            throw new IllegalArgumentException("target must be HOST:PORT, not " + targetHostPort);
        }
        if (!METRICS_PATH.matcher(metricsPath).matches()) {
            throw new IllegalArgumentException("metrics path must be an absolute path without query, not "
                    + metricsPath);
        }
        if (scrapeInterval.toMillis() < 1) {
            throw new IllegalArgumentException("scrape interval must be at least 1 ms, not " + scrapeInterval);
        }
        Path executable = Programs.require(EXECUTABLE, "apt-get install -y prometheus");
        try {
            Files.createDirectories(workDir);
            Duration timeout = scrapeInterval.compareTo(MAX_SCRAPE_TIMEOUT) < 0 ? scrapeInterval : MAX_SCRAPE_TIMEOUT;
            Files.writeString(workDir.resolve("prometheus.yml"), String.join("\n",
                    "# generated by " + PrometheusServer.class.getName(),
                    "global:",
                    "  scrape_interval: " + scrapeInterval.toMillis() + "ms",
                    "  scrape_timeout: " + timeout.toMillis() + "ms",
                    "  evaluation_interval: " + scrapeInterval.toMillis() + "ms",
                    "scrape_configs:",
                    "  - job_name: '" + JOB + "'",
                    "    metrics_path: '" + metricsPath + "'",
                    "    static_configs:",
                    "      - targets: ['" + targetHostPort + "']",
                    ""), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the Prometheus configuration in " + workDir, e);
        }
        for (int attempt = 1; ; attempt++) {
            PrometheusServer server = new PrometheusServer(executable, workDir, targetHostPort, FreePorts.next());
            long logStart = server.logSize();
            try {
                server.launch();
                return server;
            } catch (Exited e) {
                server.close();
                String log = server.logSince(logStart);
                if (attempt < 3 && log.contains("address already in use")) {
                    continue; // a free port can be taken before Prometheus binds it
                }
                throw new IllegalStateException(e.getMessage() + "; log:\n" + tail(log), e);
            } catch (IllegalStateException e) {
                server.close(); // not ready in time: another port would not help
                throw e;
            }
        }
    }

    /** @return {@code http://127.0.0.1:PORT/}, Prometheus's web UI and API */
    public URI url() {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    /** @return the TCP port on 127.0.0.1 */
    public int port() {
        return port;
    }

    /** @return the pid of the Prometheus process */
    public long pid() {
        return process.pid();
    }

    /** @return the log file, Prometheus's stdout and stderr */
    public Path log() {
        return directory.resolve("prometheus.log");
    }

    /**
     * Runs an instant query ({@code /api/v1/query}) at the current time.
     *
     * @param promql the expression, e.g. {@code demo_requests_total} or {@code
     *     sum(rate(http_server_requests_seconds_count[1m]))}
     * @return a scalar result's value, or the sum of the values of an instant vector's series (the
     *     value itself when there is one series); may be {@code NaN} or infinite
     * @throws IllegalStateException if the query fails, answers no series, or answers a range vector
     *     or a string
     * @throws UncheckedIOException if Prometheus cannot be reached
     */
    public double query(String promql) {
        Map<?, ?> data = api("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        Object type = data.get("resultType");
        Object result = data.get("result");
        if ("scalar".equals(type)) {
            return sampleValue(result);
        }
        if (!"vector".equals(type)) {
            throw new IllegalStateException("query " + promql + " answered a " + type
                    + ", not an instant vector or scalar: " + result);
        }
        List<?> series = (List<?>) result;
        if (series.isEmpty()) {
            throw new IllegalStateException("query " + promql + " answered no series (not scraped yet? see "
                    + "awaitTargetUp)");
        }
        double sum = 0;
        for (Object one : series) {
            sum += sampleValue(((Map<?, ?>) one).get("value"));
        }
        return sum;
    }

    /**
     * Waits until the target's {@code up} series is 1, i.e. a scrape succeeded and its samples are
     * stored, so that {@link #query} sees them.
     *
     * @param deadline how long to wait; give a loaded machine room (service discovery alone may take
     *     5 s), e.g. 60 s
     * @throws IllegalStateException if it is not up in time, with what the target list said last (its
     *     health and last scrape error) and the end of the log
     */
    public void awaitTargetUp(Duration deadline) {
        String up = "up{job=\"" + JOB + "\"}";
        try {
            Polls.await("Prometheus target " + target + " up", deadline, () -> {
                checkAlive(process);
                try {
                    if (query(up) == 1) {
                        return Check.done(Boolean.TRUE);
                    }
                } catch (IllegalStateException e) {
                    // no scrape stored yet; the target list says why
                }
                return Check.notYet(targetState());
            });
        } catch (IllegalStateException | Exited e) {
            throw new IllegalStateException(e.getMessage() + "; log:\n" + logTail(), e);
        }
    }

    /** Stops Prometheus by pid (SIGTERM, then SIGKILL after 10 s) and waits for it; idempotent. */
    @Override
    public synchronized void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        if (reaper != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down; the hook kills the (dead) process again, harmlessly
            }
            reaper = null;
        }
    }

    @Override
    public String toString() {
        return "PrometheusServer[" + url() + ", target " + target + (process == null ? "" : ", pid " + process.pid())
                + "]";
    }

    private void launch() {
        List<String> command = new ArrayList<>(List.of(
                executable.toString(),
                "--config.file=" + directory.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + directory.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--web.enable-lifecycle",
                "--web.console.templates=" + directory.resolve("consoles"),
                "--web.console.libraries=" + directory.resolve("console_libraries")));
        try {
            process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
        Process started = process;
        reaper = new Thread(started::destroyForcibly, "prometheus-reaper-" + port);
        Runtime.getRuntime().addShutdownHook(reaper); // a test JVM that exits early leaves no server
        try {
            Polls.await("Prometheus on port " + port + " ready", STARTUP_TIMEOUT, () -> {
                checkAlive(started);
                HttpResponse<String> response = get("/-/ready");
                return response.statusCode() == 200 ? Check.done(Boolean.TRUE)
                        : Check.notYet("/-/ready answered " + response.statusCode() + " " + response.body().strip());
            });
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + "; log:\n" + logTail(), e);
        }
    }

    /** Ends a {@link Polls#await} at once (it retries on {@link IllegalStateException}) when Prometheus has exited. */
    private static void checkAlive(Process process) {
        if (!process.isAlive()) {
            throw new Exited("prometheus (pid " + process.pid() + ") exited with code " + process.exitValue());
        }
    }

    /** Prometheus exited while something was awaited. */
    private static final class Exited extends RuntimeException {
        Exited(String message) {
            super(message);
        }
    }

    /** @return the {@code data} member of a successful API answer */
    private Map<?, ?> api(String pathAndQuery) {
        HttpResponse<String> response = get(pathAndQuery);
        Object parsed;
        try {
            parsed = MiniJson.parse(response.body());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("GET " + pathAndQuery + " answered " + response.statusCode()
                    + " with no JSON: " + response.body(), e);
        }
        Map<?, ?> answer = (Map<?, ?>) parsed;
        if (!"success".equals(answer.get("status"))) {
            throw new IllegalStateException("GET " + pathAndQuery + " answered " + response.statusCode() + " "
                    + answer.get("errorType") + ": " + answer.get("error"));
        }
        return (Map<?, ?>) answer.get("data");
    }

    private HttpResponse<String> get(String pathAndQuery) {
        HttpRequest request = HttpRequest.newBuilder(url().resolve(pathAndQuery.substring(1)))
                .timeout(REQUEST_TIMEOUT).GET().build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during GET " + request.uri(), e);
        }
    }

    /** @return the target's health and last error as {@code /api/v1/targets} lists it, for messages */
    private String targetState() {
        List<?> active = (List<?>) api("/api/v1/targets?state=active").get("activeTargets");
        if (active.isEmpty()) {
            return "no active target yet (service discovery hands targets over at most every 5 s)";
        }
        Map<?, ?> first = (Map<?, ?>) active.get(0);
        return "target " + first.get("scrapeUrl") + " health " + first.get("health") + ", last scrape "
                + first.get("lastScrape") + ", last error \"" + first.get("lastError") + "\"";
    }

    /** @return the value of a {@code [timestamp, "value"]} sample */
    private static double sampleValue(Object sample) {
        String value = (String) ((List<?>) sample).get(1);
        return switch (value) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(value);
        };
    }

    private long logSize() {
        try {
            return Files.exists(log()) ? Files.size(log()) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** @return what the log gained after it was {@code offset} bytes long */
    private String logSince(long offset) {
        try {
            byte[] all = Files.readAllBytes(log());
            int from = (int) Math.min(offset, all.length);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private String logTail() {
        return tail(logSince(0));
    }

    /** @return the last 20 lines of {@code log}, for error messages */
    private static String tail(String log) {
        List<String> lines = log.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }
}
