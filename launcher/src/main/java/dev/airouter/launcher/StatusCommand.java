package dev.airouter.launcher;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
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
    private static final ObjectMapper JSON = new ObjectMapper();

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
        return healthy(response.statusCode(), body) ? 0 : DEGRADED;
    }

    static String summary(URI health, int code, String body) {
        JsonNode root = parse(body);
        JsonNode router = root.path("router");
        JsonNode store = root.path("store");
        StringBuilder replicas = new StringBuilder();
        if (router.path("replicas").size() > 1) {
            replicas.append(String.format(Locale.ROOT, "  %-5s %-4s %-28s %-8s %-10s %-9s %s%n", "index", "gen", "url",
                    "pid", "state", "inFlight", "restarts"));
            for (JsonNode r : router.path("replicas")) {
                replicas.append(String.format(Locale.ROOT, "  %-5s %-4s %-28s %-8s %-10s %-9s %s%n", text(r.path("index")),
                        text(r.path("generation")), text(r.path("url")), text(r.path("pid")),
                        text(r.path("state")) + (r.path("ready").asBoolean(true) ? "" : "*"), text(r.path("inFlight")),
                        text(r.path("restarts"))));
            }
        }
        return "backend " + health.resolve("/") + ": " + text(root.path("status")) + " (HTTP " + code + ")\n"
                + "router:  " + text(router.path("state")) + ", pid " + text(router.path("pid")) + ", "
                + (router.path("owned").asBoolean(false) ? "owned" : "adopted/external") + ", restarts "
                + text(router.path("restarts")) + ", " + text(router.path("url"))
                + (router.path("replicas").size() > 1 ? ", " + router.path("replicas").size() + " replicas (* = not"
                        + " taking calls):" : "") + "\n"
                + replicas
                + "store:   " + text(store.path("backend")) + ", sessions " + text(store.path("sessions"));
    }

    static boolean healthy(int code, String body) {
        return code == 200 && "ok".equals(parse(body).path("status").asText());
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            return JSON.missingNode(); // not JSON: every field shows as "?"
        }
    }

    private static String text(JsonNode node) {
        return node.isMissingNode() || node.isNull() ? "?" : node.asText();
    }
}
