package dev.airouter.backend;

import dev.airouter.lifecycle.HealthCheck;
import dev.airouter.lifecycle.ProcessConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;

/**
 * Turns the backend settings into a {@link RouterHandle}: an external URL, or a process config for
 * the default command ({@code python3 -m ai_router --port P --lifeline ppid}, health check expecting
 * {@code "service":"ai-router"}, so only a real router is adopted) or a custom command (ready on any
 * 2xx from {@code /health}).
 */
final class RouterSetup {
    static final String NAME = "ai-router";

    private RouterSetup() {}

    /** The resolved interpreter; an environment fact that does not change while the JVM runs. */
    private static volatile String python;

    static RouterHandle create(BackendSettings s, Runnable onTransition) {
        if (s.routerUrl() != null) {
            return new ExternalRouter(s.routerUrl(), s.logDir().resolve(NAME + ".log"));
        }
        int port = s.routerPort() == 0 ? freePort() : s.routerPort();
        URI base = URI.create("http://127.0.0.1:" + port);
        String health = base + "/health";
        boolean defaultCommand = s.routerCommand() == null;
        List<String> command = defaultCommand
                ? List.of(python(), "-m", "ai_router", "--port", Integer.toString(port), "--lifeline", "ppid")
                : s.routerCommand();
        ProcessConfig.Builder config = ProcessConfig.builder(NAME)
                .command(command)
                .environment(Map.of("ROUTER_PORT", Integer.toString(port), "PYTHONUNBUFFERED", "1"))
                .healthCheck(defaultCommand
                        ? HealthCheck.http(health).expectingJsonField("service", "ai-router")
                        : HealthCheck.http(health))
                .restartPolicy(s.restartPolicy())
                .logFile(s.logDir().resolve(NAME + ".log"))
                .shutdownHook(false); // the backend's own hook drains requests first, then stops the router
        if (s.routerDirectory() != null) {
            config.workingDirectory(s.routerDirectory());
        }
        if (s.routerOutput() != null) {
            config.outputListener(s.routerOutput());
        }
        if (s.livenessProbe() != null) {
            config.livenessProbe(s.livenessProbe());
        }
        return new ManagedRouter(config.build(), base, onTransition);
    }

    static HttpUrl baseUrl(RouterHandle router) {
        return HttpUrl.get(router.url().toString());
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port for the router", e);
        }
    }

    /**
     * The interpreter behind {@code python3}, resolved once per JVM: version-manager shims (pyenv)
     * are shell scripts that add hundreds of milliseconds to every spawn and restart.
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
