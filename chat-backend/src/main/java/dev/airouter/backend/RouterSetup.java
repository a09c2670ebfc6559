package dev.airouter.backend;

import dev.airouter.lifecycle.HealthCheck;
import dev.airouter.lifecycle.PortHolder;
import dev.airouter.lifecycle.ProcessConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;

/**
 * Turns the backend settings into a {@link RouterHandle}: an external URL, or a process config for
 * the default command ({@code python3 -m ai_router --port P --lifeline ppid}, health check expecting
 * {@code "service":"ai-router"}, so only a real router is adopted) or a custom command (ready on any
 * 2xx from {@code /health}). Every health answer that passes — adoption, readiness after each
 * (re)start, liveness probes — is read for the limits and agents the router advertises.
 */
final class RouterSetup {
    static final String NAME = "ai-router";

    private RouterSetup() {}

    /** The resolved interpreter; an environment fact that does not change while the JVM runs. */
    private static volatile String python;

    /**
     * @param http the backend's base client: the health prober and the external router's probes
     *     derive theirs from it
     */
    static RouterHandle create(BackendConfig s, OkHttpClient http, Json json, Runnable onTransition) {
        RouterInfo.Tracker info = new RouterInfo.Tracker(NAME, s.routerLimits(), json.mapper());
        if (s.routerHttpUrl() != null) {
            return new ExternalRouter(http, s.routerHttpUrl(), info, s.logDir().resolve(NAME + ".log"));
        }
        int port = s.routerPort() == 0 ? PortHolder.freeLoopbackPort() : s.routerPort();
        URI base = URI.create("http://127.0.0.1:" + port);
        String health = base + "/health";
        boolean defaultCommand = s.routerCommand().isEmpty();
        List<String> command = defaultCommand
                ? List.of(python(), "-m", "ai_router", "--port", Integer.toString(port), "--lifeline", "ppid")
                : s.routerCommand().get();
        HealthCheck check = defaultCommand
                ? HealthCheck.http(health).expectingJsonField("service", "ai-router")
                : HealthCheck.http(health);
        ProcessConfig.Builder config = ProcessConfig.builder(NAME)
                .command(command)
                .environment(Map.of("ROUTER_PORT", Integer.toString(port), "PYTHONUNBUFFERED", "1"))
                .healthCheck(check.onHealthyAnswer((url, body) -> info.update(body)))
                .httpClient(http)
                .restartPolicy(s.restartPolicy())
                .logFile(s.logDir().resolve(NAME + ".log"))
                .shutdownHook(false); // the backend's own hook drains requests first, then stops the router
        s.routerDirectory().ifPresent(config::workingDirectory);
        s.routerOutput().ifPresent(config::outputListener);
        s.livenessProbe().ifPresent(config::livenessProbe);
        return new ManagedRouter(config.build(), base, info, onTransition);
    }

    static HttpUrl baseUrl(RouterHandle router) {
        return HttpUrl.get(router.url().toString());
    }

    /**
     * The interpreter behind {@code python3}, resolved once per JVM: version-manager shims (pyenv)
     * are shell scripts that add hundreds of milliseconds to every spawn and restart. (Test code has
     * its own copy in test-support's {@code Fixtures}, which cannot depend on main modules.)
     */
    static String python() {
        String p = python;
        if (p == null) {
            python = p = resolvePython();
        }
        return p;
    }

    private static String resolvePython() {
        try {
            Process probe = new ProcessBuilder("python3", "-c", "import sys; print(sys.executable)")
                    .redirectErrorStream(true).start();
            probe.getOutputStream().close();
            String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0 && !out.isEmpty()
                    && Files.isExecutable(Path.of(out))) {
                return out;
            }
            probe.destroyForcibly();
        } catch (IOException e) {
            return "python3"; // not on the PATH: router-lifecycle reports it with the command line
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "python3";
    }
}
