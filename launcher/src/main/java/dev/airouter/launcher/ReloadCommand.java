package dev.airouter.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code reload}: asks a running backend to reload its routers without a gap
 * ({@code POST /api/admin/reload} with the run's admin token), waits for the outcome and prints it.
 */
@Command(name = "reload", mixinStandardHelpOptions = true, versionProvider = Launcher.Version.class,
        description = {"Reload the running backend's routers without a gap: a new generation starts",
            "beside the old one and takes calls once ready; the old one drains and stops.",
            "A new version that fails to start never replaces a working one."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:reloaded", "1:the new generation failed (its log tail is printed), a reload was under way,"
                + " the backend refused, or --timeout passed", "2:usage error",
            "3:backend not reachable (or no run file: nothing running)"})
final class ReloadCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--url", defaultValue = "${env:AIROUTER_STATUS_URL}", paramLabel = "URL",
            description = "Backend base URL (env AIROUTER_STATUS_URL; default: from the run file in --log-dir).")
    String url;

    @Option(names = "--token", defaultValue = "${env:AIROUTER_ADMIN_TOKEN}", paramLabel = "TOKEN",
            description = "The backend's admin token (env AIROUTER_ADMIN_TOKEN, which unlike the option does not show"
                    + " in ps; default: read from the file the run file names).")
    String token;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "Read the admin token from this file (e.g. one copied from the backend's machine).")
    Path tokenFile;

    @Option(names = "--log-dir", defaultValue = "${env:AIROUTER_LOG_DIR:-logs}", paramLabel = "DIR",
            description = "Where the running dev/backend wrote its run file (default ${DEFAULT-VALUE}).")
    Path logDir;

    @Option(names = "--timeout", defaultValue = "10m", paramLabel = "DURATION", converter = Durations.class,
            description = "How long to wait for the outcome (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Properties run = RunFile.read(logDir).orElse(null);
        String base = url != null && !url.isBlank() ? url : run != null ? run.getProperty("backendUrl") : null;
        if (base == null) {
            err.println("no running backend found: no run file in " + logDir.toAbsolutePath().normalize()
                    + " (a dev/backend writes it there while it runs); pass --url URL and --token TOKEN, or --log-dir DIR");
            return StatusCommand.UNREACHABLE;
        }
        if (token != null && !token.isBlank() && tokenFile != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--token and --token-file conflict; pass one");
        }
        String secret = token != null && !token.isBlank() ? token.trim() : null;
        if (secret == null) {
            // the run's token goes only to the run's own backend on this machine, never to another --url
            boolean ownBackend = run != null && base.replaceAll("/+$", "").equals(
                    run.getProperty("backendUrl", "").replaceAll("/+$", "")) && loopback(base);
            String file = tokenFile != null ? tokenFile.toString() : ownBackend ? run.getProperty("tokenFile") : null;
            if (file == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "no admin token: pass --token TOKEN (or"
                        + " AIROUTER_ADMIN_TOKEN), or run on the machine of the backend, whose run file names its token file");
            }
            try {
                secret = AdminToken.read(Path.of(file));
            } catch (IOException e) {
                err.println("cannot read the admin token file " + file + ": " + e.getMessage());
                return Launcher.FAILED;
            }
        }
        URI reload;
        try {
            reload = URI.create(base.replaceAll("/+$", "") + "/api/admin/reload");
            if (reload.getHost() == null || !reload.getScheme().startsWith("http")) {
                throw new IllegalArgumentException("no http(s) host");
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--url '" + base + "' is not an http(s) URL; expected e.g. http://127.0.0.1:3002");
        }
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        try {
            HttpResponse<String> started = client.send(HttpRequest.newBuilder(reload).timeout(Duration.ofSeconds(10))
                    .header("Authorization", "Bearer " + secret).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body = parse(started.body());
            if (started.statusCode() != 202) {
                err.println("reload refused (HTTP " + started.statusCode() + "): " + text(body.path("error")) + " — "
                        + text(body.path("details")));
                return Launcher.FAILED;
            }
            URI status = reload.resolve(body.path("statusUrl").asText());
            out.println("reload " + text(body.path("id")) + " started; waiting for the new generation…");
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                HttpResponse<String> poll = client.send(HttpRequest.newBuilder(status).timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + secret).GET().build(), HttpResponse.BodyHandlers.ofString());
                JsonNode state = parse(poll.body());
                if (poll.statusCode() != 200) { // the backend restarted (new token, reload unknown) or is stopping
                    err.println("lost track of reload " + text(body.path("id")) + ": GET " + status + " answered HTTP "
                            + poll.statusCode() + " (" + text(state.path("error")) + " — " + text(state.path("details"))
                            + ")");
                    return Launcher.FAILED;
                }
                switch (state.path("state").asText()) {
                    case "done":
                        out.println("reloaded: generation " + text(state.path("toGeneration")) + " serves (was "
                                + text(state.path("fromGeneration")) + "), in " + text(state.path("tookMs")) + " ms");
                        return 0;
                    case "failed":
                        err.println("reload failed; the previous generation keeps serving:");
                        err.println(text(state.path("error")));
                        return Launcher.FAILED;
                    default:
                        if (System.nanoTime() > deadline) {
                            err.println("the reload is still running after " + timeout.toSeconds() + " s; see GET " + status);
                            return Launcher.FAILED;
                        }
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
                }
            }
        } catch (IOException e) {
            err.println("not reachable: " + reload + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() != null ? ": " + e.getMessage() : "") + ")");
            return StatusCommand.UNREACHABLE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Launcher.FAILED;
        }
    }

    private static boolean loopback(String url) {
        try {
            String host = URI.create(url).getHost();
            return host != null && java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (IllegalArgumentException | java.net.UnknownHostException e) {
            return false;
        }
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return JSON.missingNode();
        }
    }

    private static String text(JsonNode node) {
        return node.isMissingNode() || node.isNull() ? "?" : node.asText();
    }
}
