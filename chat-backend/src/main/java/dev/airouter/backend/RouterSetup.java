package dev.airouter.backend;

import dev.airouter.lifecycle.HealthCheck;
import dev.airouter.lifecycle.PoolConfig;
import dev.airouter.lifecycle.PortHolder;
import dev.airouter.lifecycle.ProcessConfig;
import dev.airouter.lifecycle.ProcessPool;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the backend settings into a {@link RouterHandle}: an external URL, or a process config for
 * the default command ({@code python3 -m ai_router --port P --lifeline ppid}, health check expecting
 * {@code "service":"ai-router"}, so only a real router is adopted) or a custom command (ready on any
 * 2xx from {@code /health}). Every health answer that passes — adoption, readiness after each
 * (re)start, liveness probes — is read for the limits and agents the router advertises.
 *
 * <p>Adoption takes only a router nobody else supervises: a router that says another airouter
 * backend spawned it ({@link SpawnedBy}) is skipped on the default probe port, and refused on a
 * fixed {@code routerPort} (the port cannot be had, and the message names the owner). The routers
 * spawned here get this backend's instance id and pid in their environment for the same reason.
 */
final class RouterSetup {
    static final String NAME = "ai-router";
    private static final Logger LOG = LoggerFactory.getLogger(ChatBackend.class);

    private RouterSetup() {}

    /** The resolved interpreter; an environment fact that does not change while the JVM runs. */
    private static volatile String python;

    /**
     * Chooses the routers: the external URL; a healthy router already on the adoption port (8888, or
     * the fixed {@code routerPort}) that no other airouter spawned, adopted as a pool of one;
     * otherwise a pool of {@code routers} replicas on free ports (or the fixed port).
     *
     * @param instanceId the backend's instance id, handed to the routers it spawns
     * @param http the backend's base client: the health prober and the external router's probes
     *     derive theirs from it
     * @param onChange run whenever the routers change (restart, replica set); quick
     * @throws BackendException if the fixed {@code routerPort} has a router another airouter spawned
     */
    static RouterHandle create(BackendConfig s, String instanceId, OkHttpClient http, Json json, Runnable onChange) {
        return create(s, instanceId, s.adoptionPort(), http, json, onChange, null);
    }

    /** As above, the pool's meters on {@code registry} when it is not {@code null}. */
    static RouterHandle create(BackendConfig s, String instanceId, OkHttpClient http, Json json, Runnable onChange,
            MeterRegistry registry) {
        return create(s, instanceId, s.adoptionPort(), http, json, onChange, registry);
    }

    /** {@link #create(BackendConfig, String, OkHttpClient, Json, Runnable)} probing another port for adoption (tests). */
    static RouterHandle create(BackendConfig s, String instanceId, OptionalInt adoption, OkHttpClient http, Json json,
            Runnable onChange) {
        return create(s, instanceId, adoption, http, json, onChange, null);
    }

    private static RouterHandle create(BackendConfig s, String instanceId, OptionalInt adoption, OkHttpClient http,
            Json json, Runnable onChange, MeterRegistry registry) {
        if (s.routerHttpUrl() != null) {
            RouterInfo.Tracker info = new RouterInfo.Tracker(NAME, s.routerLimits(), json.mapper());
            return new ExternalRouter(http, s.routerHttpUrl(), info, s.logDir().resolve(NAME + ".log"));
        }
        boolean defaultCommand = s.routerCommand().isEmpty();
        Map<String, String> spawner = SpawnedBy.environment(instanceId);
        Optional<String> found = adoption.isPresent() ? healthAnswer(http, adoption.getAsInt(), defaultCommand)
                : Optional.empty();
        Optional<SpawnedBy> owner = found.flatMap(body -> SpawnedBy.in(body, json.mapper()));
        if (owner.isPresent()) {
            int port = adoption.getAsInt();
            if (s.routerPort().filter(p -> p == port).isPresent()) {
                String router = PortHolder.pid(port).stream().mapToObj(pid -> " (pid " + pid + ")").findFirst()
                        .orElse("");
                throw new BackendException("the router port " + port + " is held by a router" + router + " that another"
                        + " airouter spawned: " + owner.get().describe() + ". A"
                        + " spawned router belongs to the airouter that supervises it and is never adopted; stop that"
                        + " airouter, or give this one another router port (0 = free ports)");
            }
            LOG.info("port {} has a router that {} spawned: not adopted; this backend spawns its own", port,
                    owner.get().describe());
        } else if (found.isPresent()) {
            int port = adoption.getAsInt();
            RouterInfo.Tracker info = new RouterInfo.Tracker(NAME, s.routerLimits(), json.mapper());
            if (s.routers() > 1) {
                LOG.warn("a router already answers on port {}: adopted as the only router; --routers {} is ignored",
                        port, s.routers());
            }
            Map<String, String> own = new HashMap<>(spawner);
            own.putAll(Map.of("ROUTER_PORT", Integer.toString(port), "PYTHONUNBUFFERED", "1"));
            ProcessConfig config = template(s, http, Integer.toString(port), defaultCommand)
                    .environment(environment(s, own))
                    .healthCheck(check(Integer.toString(port), defaultCommand)
                            // checked again as it is adopted: the port may have changed hands since the probe
                            .expectingBody(body -> SpawnedBy.in(body, json.mapper()).isEmpty(),
                                    "no \"spawned_by\" (a router another airouter spawned is never adopted)")
                            .onHealthyAnswer((url, body) -> info.update(body)))
                    .build();
            return new AdoptedRouter(config, URI.create("http://127.0.0.1:" + port), info, onChange);
        }
        Integer fixed = s.routerPort().filter(p -> p > 0).orElse(null);
        return new PooledRouter(listener -> {
            Map<String, String> own = new HashMap<>(spawner);
            own.put("PYTHONUNBUFFERED", "1");
            ProcessConfig template = template(s, http, ProcessPool.PORT, defaultCommand)
                    .environment(environment(s, own))
                    .healthCheck(check(ProcessPool.PORT, defaultCommand).onHealthyAnswer(listener))
                    .build();
            PoolConfig.Builder pool = PoolConfig.builder(template).replicas(s.routers()).portVariable("ROUTER_PORT")
                    .drainTimeout(s.routerDrainTimeout());
            if (fixed != null) {
                pool.fixedPort(fixed);
            }
            if (registry != null) {
                pool.meterRegistry(registry);
            }
            return pool.build();
        }, NAME, s.routerLimits(), json.mapper(), onChange);
    }

    /** The configured router environment with the backend's own variables on top. */
    private static Map<String, String> environment(BackendConfig s, Map<String, String> own) {
        Map<String, String> all = new HashMap<>(s.routerEnvironment());
        all.putAll(own);
        return all;
    }

    private static final Pattern SERVICE = Pattern.compile("\"service\"\\s*:\\s*\"ai-router\"");

    /** The command and supervision of a router; the port (or {@code {port}}) goes into the bundled router's command. */
    private static ProcessConfig.Builder template(BackendConfig s, OkHttpClient http, String port, boolean defaultCommand) {
        List<String> command = !defaultCommand ? s.routerCommand().get() : s.jsonLogs()
                ? List.of(python(), "-m", "ai_router", "--port", port, "--lifeline", "ppid", "--log-format", "json")
                : List.of(python(), "-m", "ai_router", "--port", port, "--lifeline", "ppid");
        ProcessConfig.Builder config = ProcessConfig.builder(NAME)
                .command(command)
                .httpClient(http)
                .restartPolicy(s.restartPolicy())
                .logFile(s.logDir().resolve(NAME + ".log"))
                .shutdownHook(false) // the backend's own hook drains requests first, then stops the routers
                .jsonLog(s.jsonLogs());
        Optional<Path> dir = s.routerDirectory();
        if (dir.isEmpty() && defaultCommand) {
            dir = defaultRouterDirectory();
        }
        dir.ifPresent(config::workingDirectory);
        s.routerOutput().ifPresent(config::outputListener);
        s.livenessProbe().ifPresent(config::livenessProbe);
        return config;
    }

    /**
     * Where the default command runs when no directory is configured (and there is no
     * {@code ./python-router}): the router the python-router jar bundles, else the current directory if
     * it holds the {@code ai_router} package.
     *
     * @throws IllegalStateException when there is neither
     */
    private static Optional<Path> defaultRouterDirectory() {
        Optional<Path> bundled = BundledRouter.extract();
        if (bundled.isPresent() || Files.isRegularFile(Path.of("ai_router", "__main__.py"))) {
            return bundled;
        }
        throw new IllegalStateException("no router to run: there is no ./python-router, no routerDirectory is"
                + " configured and the dev.airouter:python-router jar is not on the class path; add that jar (runtime"
                + " scope), set routerDirectory to the folder holding the ai_router package, or set routerCommand or"
                + " routerUrl");
    }

    /** The bundled router must say it is one (so only a real router is adopted); another command answers any 2xx. */
    private static HealthCheck check(String port, boolean defaultCommand) {
        HealthCheck check = HealthCheck.http("http://127.0.0.1:" + port + "/health");
        return defaultCommand ? check.expectingJsonField("service", "ai-router") : check;
    }

    /**
     * The health answer of a router that answers healthily on the port now (the adoption probe; one
     * short request), if one does.
     */
    private static Optional<String> healthAnswer(OkHttpClient http, int port, boolean defaultCommand) {
        if (!PortHolder.isAccepting("127.0.0.1", port, Duration.ofMillis(300))) {
            return Optional.empty();
        }
        OkHttpClient probe = http.newBuilder().callTimeout(Duration.ofSeconds(2)).build();
        try (Response response = probe.newCall(new Request.Builder().url("http://127.0.0.1:" + port + "/health")
                .build()).execute()) {
            String body = response.body().string();
            return response.isSuccessful() && (!defaultCommand || SERVICE.matcher(body).find()) ? Optional.of(body)
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
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
