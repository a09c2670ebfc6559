package dev.airouter.launcher;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code status}: asks a running backend's {@code /health} and prints router and store state. */
@Command(name = "status", mixinStandardHelpOptions = true, versionProvider = Launcher.Version.class,
        description = "Ask a running backend how it is: router state, pid, restarts, session store.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:healthy", "1:degraded", "2:usage error", "3:not reachable"})
final class StatusCommand implements Callable<Integer> {
    static final int DEGRADED = 1;
    static final int UNREACHABLE = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--url", defaultValue = "${env:AIROUTER_STATUS_URL}", paramLabel = "URL",
            description = "Backend base URL (env AIROUTER_STATUS_URL; default: from the run file in --log-dir, else http://127.0.0.1:3002).")
    String url;

    @Option(names = "--log-dir", defaultValue = "${env:AIROUTER_LOG_DIR:-logs}", paramLabel = "DIR",
            description = "Where a running dev/backend wrote its run file (default ${DEFAULT-VALUE}).")
    Path logDir;

    @Option(names = "--json", description = "Print the raw /health JSON.")
    boolean json;

    @Override
    public Integer call() throws InterruptedException {
        String base = url;
        if (base == null || base.isBlank()) {
            base = RunFile.read(logDir).map(p -> p.getProperty("backendUrl")).orElse("http://127.0.0.1:3002");
        }
        URI health;
        try {
            health = URI.create(base.replaceAll("/+$", "") + "/health");
            if (health.getHost() == null || !health.getScheme().startsWith("http")) {
                throw new IllegalArgumentException("no http(s) host");
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--url '" + base + "' is not an http(s) URL; expected e.g. http://127.0.0.1:3002");
        }
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        HttpResponse<String> response;
        try {
            response = client.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            spec.commandLine().getErr().println("not reachable: " + health + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() != null ? ": " + e.getMessage() : "") + ")");
            return UNREACHABLE;
        }
        String body = response.body();
        if (json) {
            spec.commandLine().getOut().println(body);
        } else {
            spec.commandLine().getOut().println(summary(health, response.statusCode(), body));
        }
        return response.statusCode() == 200 && "ok".equals(field(body, "status")) ? 0 : DEGRADED;
    }

    static String summary(URI health, int code, String body) {
        return "backend " + health.resolve("/") + ": " + field(body, "status") + " (HTTP " + code + ")\n"
                + "router:  " + field(body, "state") + ", pid " + field(body, "pid") + ", "
                + ("true".equals(field(body, "owned")) ? "owned" : "adopted/external") + ", restarts "
                + field(body, "restarts") + ", " + field(body, "url") + "\n"
                + "store:   " + field(body, "backend") + ", sessions " + field(body, "sessions");
    }

    /** First value of a JSON field by name; good enough for a status line, no JSON library needed. */
    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|[^,}\\s]+)")
                .matcher(json);
        if (!m.find()) {
            return "?";
        }
        return m.group(2) != null ? m.group(2) : m.group(1);
    }

}
