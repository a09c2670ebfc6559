package dev.airouter.backend;

import dev.airouter.lifecycle.LivenessProbe;
import dev.airouter.lifecycle.RestartPolicy;
import dev.airouter.session.SessionStoreConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;

/**
 * Immutable settings of a {@link ChatBackend}; build one with {@link #builder()}, vary one with
 * {@link #toBuilder()}, start a backend with {@link ChatBackend#create(BackendConfig)}.
 *
 * <table>
 *   <caption>Options and defaults</caption>
 *   <tr><th>option</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code host}</td><td>{@code 127.0.0.1}</td><td>address to listen on</td></tr>
 *   <tr><td>{@code port}</td><td>3002</td><td>port to listen on; 0 = any free port</td></tr>
 *   <tr><td>{@code routers}</td><td>1</td><td>router replicas spawned (each on a free port)</td></tr>
 *   <tr><td>{@code routerPort}</td><td>none: free ports, 8888 probed for adoption</td><td>a fixed port
 *       for a single router (probed for adoption first); 0 = free ports and no adoption
 *       port (never adopts)</td></tr>
 *   <tr><td>{@code routerUrl}</td><td>none</td><td>use a router that runs elsewhere; never spawned</td></tr>
 *   <tr><td>{@code routerCommand}</td><td>{@code python3 -m ai_router …}</td><td>spawn this instead</td></tr>
 *   <tr><td>{@code routerDirectory}</td><td>{@code ./python-router} if it exists, else the router the
 *       python-router jar bundles ({@link BundledRouter}) when that jar is on the class path</td><td>holds the
 *       {@code ai_router} package; the router's working directory</td></tr>
 *   <tr><td>{@code routerLimits}</td><td>{@link RouterLimits#ofDefaults()}</td><td>what a router that does
 *       not advertise its limits is assumed to accept</td></tr>
 *   <tr><td>{@code routerEnvironment}</td><td>none</td><td>more environment variables for the routers
 *       this backend spawns, e.g. {@code ROUTER_LLM_URL}</td></tr>
 *   <tr><td>{@code logDir}</td><td>{@code ./logs}</td><td>where {@code ai-router.log} goes</td></tr>
 *   <tr><td>{@code routerOutput}</td><td>none</td><td>receives each line the router prints</td></tr>
 *   <tr><td>{@code storeConfig}</td><td>{@link SessionStoreConfig#ofDefaults()}</td><td>session store</td></tr>
 *   <tr><td>{@code corsOrigins}</td><td>{@code http://localhost:3000}, {@code http://127.0.0.1:3000}</td>
 *       <td>browser origins allowed by CORS</td></tr>
 *   <tr><td>{@code routerTimeout}</td><td>30 s</td><td>longest router call, then 504</td></tr>
 *   <tr><td>{@code maxBodyBytes}</td><td>1 MiB</td><td>largest request body, then 413</td></tr>
 *   <tr><td>{@code maxMessageCodePoints}</td><td>8,000</td><td>longest chat message (the router's own
 *       limit applies too), then 400</td></tr>
 *   <tr><td>{@code maxInFlight}</td><td>64</td><td>requests admitted at once, then 503</td></tr>
 *   <tr><td>{@code restartPolicy}</td><td>{@link RestartPolicy#onFailure()}</td><td>router restarts</td></tr>
 *   <tr><td>{@code livenessProbe}</td><td>none</td><td>restart a router that stops answering</td></tr>
 *   <tr><td>{@code drainTimeout}</td><td>5 s</td><td>how long {@code stop()} lets requests finish</td></tr>
 *   <tr><td>{@code routerDrainTimeout}</td><td>30 s</td><td>how long a reload lets the old routers'
 *       calls finish before it stops them</td></tr>
 *   <tr><td>{@code adminToken}</td><td>none (admin endpoints disabled)</td><td>the bearer token of
 *       {@code /api/admin/…} (router reload)</td></tr>
 *   <tr><td>{@code streamIdleTimeout}</td><td>30 s</td><td>longest silence of the router during a
 *       streamed reply ({@code POST /api/chat/stream}), then an {@code error} event</td></tr>
 *   <tr><td>{@code streamMaxDuration}</td><td>10 min</td><td>longest streamed reply, then an
 *       {@code error} event</td></tr>
 *   <tr><td>{@code streamBufferBytes}</td><td>256 KiB</td><td>events waiting for a slow client, per
 *       stream, then an {@code error} event</td></tr>
 *   <tr><td>{@code streamHeartbeat}</td><td>15 s</td><td>a comment line on a quiet stream, so proxies
 *       keep it open</td></tr>
 *   <tr><td>{@code maxReplyBytes}</td><td>1 MiB</td><td>longest streamed reply (UTF-8), then it ends as
 *       interrupted</td></tr>
 *   <tr><td>{@code shutdownHook}</td><td>true</td><td>a JVM shutdown hook calls {@code stop()}</td></tr>
 *   <tr><td>{@code instanceId}</td><td>a random id per {@link ChatBackend}</td><td>names this backend in
 *       {@code /health}, {@code /api/status} and in the routers it spawns</td></tr>
 *   <tr><td>{@code metrics}</td><td>true</td><td>record meters and serve {@code GET /metrics}</td></tr>
 *   <tr><td>{@code meterRegistry}</td><td>a Prometheus registry of the backend's own</td><td>where the
 *       meters go, e.g. the application's registry</td></tr>
 *   <tr><td>{@code shutdownDelay}</td><td>0</td><td>how long {@code stop()} keeps serving after
 *       {@code /readyz} turned 503, before the drain</td></tr>
 *   <tr><td>{@code jsonLogs}</td><td>false</td><td>the bundled router logs JSON lines
 *       ({@code --log-format json}), and its log file holds JSON lines only</td></tr>
 * </table>
 *
 * <p>Each setter checks its value at once and may be called once per builder; {@link Builder#build()}
 * checks the rules between options. Every message names the option, the rule and the value, so a
 * command line can translate option names and pass the message on. Instances are immutable and
 * thread-safe; builders are not thread-safe.
 */
public final class BackendConfig {
    /** The port probed for a router to adopt when none is configured, as the bundled router's default. */
    static final int DEFAULT_ROUTER_PORT = 8888;
    /** UTF-8 needs at most 4 bytes per code point; 1 KiB covers the rest of a chat request's JSON. */
    private static final int REQUEST_ENVELOPE_BYTES = 1024;

    private final String host;
    private final int port;
    private final int routers;
    private final Integer routerPort;
    private final HttpUrl routerUrl;
    private final List<String> routerCommand;
    private final Path routerDirectory;
    private final RouterLimits routerLimits;
    private final java.util.Map<String, String> routerEnvironment;
    private final Path logDir;
    private final Consumer<String> routerOutput;
    private final SessionStoreConfig storeConfig;
    private final List<String> corsOrigins;
    private final Duration routerTimeout;
    private final long maxBodyBytes;
    private final int maxMessageCodePoints;
    private final int maxInFlight;
    private final RestartPolicy restartPolicy;
    private final LivenessProbe livenessProbe;
    private final Duration drainTimeout;
    private final Duration routerDrainTimeout;
    private final String adminToken;
    private final StreamLimits streamLimits;
    private final boolean shutdownHook;
    private final String instanceId;
    private final boolean metrics;
    private final MeterRegistry meterRegistry;
    private final Duration shutdownDelay;
    private final boolean jsonLogs;

    private BackendConfig(Builder b, Path routerDirectory) {
        this.metrics = b.metrics;
        this.meterRegistry = b.meterRegistry;
        this.shutdownDelay = b.shutdownDelay;
        this.jsonLogs = b.jsonLogs;
        this.host = b.host;
        this.port = b.port;
        this.routers = b.routers;
        this.routerPort = b.routerPort;
        this.routerUrl = b.routerUrl;
        this.routerCommand = b.routerCommand;
        this.routerDirectory = routerDirectory;
        this.routerLimits = b.routerLimits;
        this.routerEnvironment = b.routerEnvironment;
        this.logDir = b.logDir;
        this.routerOutput = b.routerOutput;
        this.storeConfig = b.storeConfig;
        this.corsOrigins = b.corsOrigins;
        this.routerTimeout = b.routerTimeout;
        this.maxBodyBytes = b.maxBodyBytes;
        this.maxMessageCodePoints = b.maxMessageCodePoints;
        this.maxInFlight = b.maxInFlight;
        this.restartPolicy = b.restartPolicy;
        this.livenessProbe = b.livenessProbe;
        this.drainTimeout = b.drainTimeout;
        this.routerDrainTimeout = b.routerDrainTimeout;
        this.adminToken = b.adminToken;
        this.streamLimits = new StreamLimits(b.streamIdleTimeout, b.streamMaxDuration, b.streamBufferBytes,
                b.streamHeartbeat, b.maxReplyBytes);
        this.shutdownHook = b.shutdownHook;
        this.instanceId = b.instanceId;
    }

    /** @return a builder holding the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @return the defaults, i.e. {@code builder().build()}
     * @throws IllegalArgumentException if the default router directory cannot be used (see {@link Builder#build()})
     */
    public static BackendConfig ofDefaults() {
        return builder().build();
    }

    /** @return a builder holding this config's values, each of which may be set once more */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.host = host;
        b.port = port;
        b.routers = routers;
        b.routerPort = routerPort;
        b.routerUrl = routerUrl;
        b.routerCommand = routerCommand;
        b.routerDirectory = routerDirectory;
        b.routerLimits = routerLimits;
        b.routerEnvironment = routerEnvironment;
        b.logDir = logDir;
        b.routerOutput = routerOutput;
        b.storeConfig = storeConfig;
        b.corsOrigins = corsOrigins;
        b.routerTimeout = routerTimeout;
        b.maxBodyBytes = maxBodyBytes;
        b.maxMessageCodePoints = maxMessageCodePoints;
        b.maxInFlight = maxInFlight;
        b.restartPolicy = restartPolicy;
        b.livenessProbe = livenessProbe;
        b.drainTimeout = drainTimeout;
        b.routerDrainTimeout = routerDrainTimeout;
        b.adminToken = adminToken;
        b.streamIdleTimeout = streamLimits.idleTimeout();
        b.streamMaxDuration = streamLimits.maxDuration();
        b.streamBufferBytes = streamLimits.bufferBytes();
        b.streamHeartbeat = streamLimits.heartbeat();
        b.maxReplyBytes = streamLimits.maxReplyBytes();
        b.shutdownHook = shutdownHook;
        b.instanceId = instanceId;
        b.metrics = metrics;
        b.meterRegistry = meterRegistry;
        b.shutdownDelay = shutdownDelay;
        b.jsonLogs = jsonLogs;
        return b;
    }

    /** @return the address the backend listens on */
    public String host() {
        return host;
    }

    /** @return the configured port (0 = any free port; {@link ChatBackend#port()} has the actual one) */
    public int port() {
        return port;
    }

    /** @return how many router replicas are spawned */
    public int routers() {
        return routers;
    }

    /**
     * @return the fixed port of a single spawned router, if one is set (0: free ports, and no
     *     adoption); when none is set, replicas get free ports and port 8888 is probed for a router
     *     to adopt
     */
    public Optional<Integer> routerPort() {
        return Optional.ofNullable(routerPort);
    }

    /** The port probed for a running router to adopt before spawning any, if one is probed. */
    OptionalInt adoptionPort() {
        if (routerUrl != null || (routerPort != null && routerPort == 0)) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(routerPort != null ? routerPort : DEFAULT_ROUTER_PORT);
    }

    /** @return the base URL of a router that runs elsewhere, if one is configured */
    public Optional<URI> routerUrl() {
        return Optional.ofNullable(routerUrl).map(HttpUrl::uri);
    }

    /** @return the command spawned instead of the bundled router, if one is configured */
    public Optional<List<String>> routerCommand() {
        return Optional.ofNullable(routerCommand);
    }

    /** @return the router's directory, if one is configured or {@code ./python-router} exists */
    public Optional<Path> routerDirectory() {
        return Optional.ofNullable(routerDirectory);
    }

    /** @return what a router that does not advertise its limits is assumed to accept */
    public RouterLimits routerLimits() {
        return routerLimits;
    }

    /**
     * @return the environment variables added for the routers this backend spawns (they also inherit
     *     the JVM's); values may be secrets, never log them
     */
    public java.util.Map<String, String> routerEnvironment() {
        return routerEnvironment;
    }

    /** @return where the router's log goes */
    public Path logDir() {
        return logDir;
    }

    /** @return the consumer of the router's output lines, if one is configured */
    public Optional<Consumer<String>> routerOutput() {
        return Optional.ofNullable(routerOutput);
    }

    /** @return the session store settings */
    public SessionStoreConfig storeConfig() {
        return storeConfig;
    }

    /** @return the origins allowed by CORS */
    public List<String> corsOrigins() {
        return corsOrigins;
    }

    /** @return how long one router call may take */
    public Duration routerTimeout() {
        return routerTimeout;
    }

    /** @return the largest request body in bytes */
    public long maxBodyBytes() {
        return maxBodyBytes;
    }

    /** @return the longest chat message in code points (a router with a lower limit lowers it further) */
    public int maxMessageCodePoints() {
        return maxMessageCodePoints;
    }

    /** @return how many requests are admitted at once */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** @return when the router is restarted */
    public RestartPolicy restartPolicy() {
        return restartPolicy;
    }

    /** @return the router's liveness probe, if one is configured */
    public Optional<LivenessProbe> livenessProbe() {
        return Optional.ofNullable(livenessProbe);
    }

    /** @return how long {@link ChatBackend#stop()} lets in-flight requests finish */
    public Duration drainTimeout() {
        return drainTimeout;
    }

    /** @return how long a reload lets the old routers' calls finish before it stops them */
    public Duration routerDrainTimeout() {
        return routerDrainTimeout;
    }

    /** @return the bearer token of the admin endpoints, if they are enabled; a secret, never log it */
    public Optional<String> adminToken() {
        return Optional.ofNullable(adminToken);
    }

    /** @return how long the router may stay silent during a streamed reply */
    public Duration streamIdleTimeout() {
        return streamLimits.idleTimeout();
    }

    /** @return how long a streamed reply may last */
    public Duration streamMaxDuration() {
        return streamLimits.maxDuration();
    }

    /** @return how many bytes of events may wait for a slow client, per stream */
    public int streamBufferBytes() {
        return streamLimits.bufferBytes();
    }

    /** @return how often a quiet stream gets a comment line */
    public Duration streamHeartbeat() {
        return streamLimits.heartbeat();
    }

    /** @return the longest streamed reply in UTF-8 bytes */
    public int maxReplyBytes() {
        return streamLimits.maxReplyBytes();
    }

    StreamLimits streamLimits() {
        return streamLimits;
    }

    /** @return whether {@link ChatBackend#start()} installs a JVM shutdown hook */
    public boolean hasShutdownHook() {
        return shutdownHook;
    }

    /**
     * @return the instance id set for the backend, if one is; without one, each {@link ChatBackend}
     *     makes a random one ({@link ChatBackend#instanceId()} has the id in use either way)
     */
    public Optional<String> instanceId() {
        return Optional.ofNullable(instanceId);
    }

    /** @return whether the backend records meters and serves {@code GET /metrics} */
    public boolean metrics() {
        return metrics;
    }

    /**
     * @return the registry set for the backend's meters, if one is; without one, a backend with
     *     metrics on makes a Prometheus registry of its own
     */
    public Optional<MeterRegistry> meterRegistry() {
        return Optional.ofNullable(meterRegistry);
    }

    /** @return how long {@link ChatBackend#stop()} keeps serving after {@code /readyz} turned 503 */
    public Duration shutdownDelay() {
        return shutdownDelay;
    }

    /** @return whether the bundled router logs JSON lines */
    public boolean jsonLogs() {
        return jsonLogs;
    }

    HttpUrl routerHttpUrl() {
        return routerUrl;
    }

    /** A URL for messages: without a user or password. */
    private static String masked(HttpUrl url) {
        return url.newBuilder().username("").password("").build().toString();
    }

    private static String masked(String url) {
        return url.replaceAll("//[^/@\\s]*@", "//***@");
    }

    @Override
    public String toString() {
        return "BackendConfig{host=" + host + ", port=" + port + ", routers=" + routers + ", routerPort=" + routerPort + ", routerUrl="
                + (routerUrl == null ? "none" : masked(routerUrl))
                + ", routerCommand=" + (routerCommand == null ? "default" : routerCommand.get(0) + " …")
                + ", routerDirectory=" + routerDirectory + ", routerLimits=" + routerLimits
                + ", routerEnvironment=" + routerEnvironment.keySet() + ", logDir=" + logDir
                + ", store=" + storeConfig + ", corsOrigins=" + corsOrigins + ", routerTimeout=" + routerTimeout
                + ", maxBodyBytes=" + maxBodyBytes + ", maxMessageCodePoints=" + maxMessageCodePoints
                + ", maxInFlight=" + maxInFlight + ", drainTimeout=" + drainTimeout + ", routerDrainTimeout="
                + routerDrainTimeout + ", adminToken=" + (adminToken == null ? "none" : "***") + ", streams="
                + streamLimits + ", instanceId=" + (instanceId == null ? "random" : instanceId) + ", metrics=" + metrics
                + (meterRegistry == null ? "" : " (" + meterRegistry.getClass().getSimpleName() + ")")
                + ", shutdownDelay=" + shutdownDelay + ", jsonLogs=" + jsonLogs + "}";
    }

    /**
     * Builds a {@link BackendConfig}. Each setter validates its value at once and may be called only
     * once per builder (a second call is a mistake, and fails with {@link IllegalStateException}).
     */
    public static final class Builder {
        private static final Pattern ORIGIN = Pattern.compile("https?://[^/\\s?#]+");
        private static final long MAX_BODY_LIMIT = 64L * 1024 * 1024;
        private static final int MAX_ROUTERS = 64;
        private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

        private final Set<String> set = new HashSet<>();
        private String host = "127.0.0.1";
        private int port = 3002;
        private int routers = 1;
        private Integer routerPort;
        private HttpUrl routerUrl;
        private List<String> routerCommand;
        private Path routerDirectory;
        private RouterLimits routerLimits = RouterLimits.ofDefaults();
        private java.util.Map<String, String> routerEnvironment = java.util.Map.of();
        private Path logDir = Path.of("logs");
        private Consumer<String> routerOutput;
        private SessionStoreConfig storeConfig = SessionStoreConfig.ofDefaults();
        private List<String> corsOrigins = List.of("http://localhost:3000", "http://127.0.0.1:3000");
        private Duration routerTimeout = Duration.ofSeconds(30);
        private long maxBodyBytes = 1024 * 1024;
        private int maxMessageCodePoints = 8000;
        private int maxInFlight = 64;
        private RestartPolicy restartPolicy = RestartPolicy.onFailure();
        private LivenessProbe livenessProbe;
        private Duration drainTimeout = Duration.ofSeconds(5);
        private Duration routerDrainTimeout = Duration.ofSeconds(30);
        private String adminToken;
        private Duration streamIdleTimeout = Duration.ofSeconds(30);
        private Duration streamMaxDuration = Duration.ofMinutes(10);
        private int streamBufferBytes = 256 * 1024;
        private Duration streamHeartbeat = Duration.ofSeconds(15);
        private int maxReplyBytes = 1024 * 1024;
        private boolean shutdownHook = true;
        private String instanceId;
        private boolean metrics = true;
        private MeterRegistry meterRegistry;
        private Duration shutdownDelay = Duration.ZERO;
        private boolean jsonLogs;

        private Builder() {}

        /**
         * @param host the address to listen on, without spaces (default {@code 127.0.0.1}; loopback
         *     keeps the API private)
         * @return this builder
         * @throws IllegalArgumentException if blank or containing whitespace
         */
        public Builder host(String host) {
            once("host");
            Objects.requireNonNull(host, "host");
            if (host.isBlank() || host.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("host must be an address or name without spaces, e.g. 127.0.0.1;"
                        + " was '" + host + "'");
            }
            this.host = host;
            return this;
        }

        /**
         * @param port the port to listen on, 0–65535 (default 3002; 0 = any free port)
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder port(int port) {
            this.port = port("port", port);
            return this;
        }

        /**
         * Fixes the port of a single spawned router. Without it, replicas get free ports (and port 8888
         * is probed first for a running router to adopt). A fixed port makes a reload stop the old
         * router before the new one can listen: a gap in service.
         *
         * @param port the router's port on 127.0.0.1, 0–65535 (0 = free ports and no adoption probe);
         *     a port above 0 is probed for a router to adopt, and needs {@code routers(1)}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder routerPort(int port) {
            this.routerPort = port("routerPort", port);
            return this;
        }

        /**
         * @param n router replicas to spawn, 1–64 (default 1), each on a free port, supervised on its
         *     own; chat goes to the ready ones by least outstanding requests
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder routers(int n) {
            once("routers");
            if (n < 1 || n > MAX_ROUTERS) {
                throw new IllegalArgumentException("routers must be 1-" + MAX_ROUTERS + ", was " + n);
            }
            this.routers = n;
            return this;
        }

        /**
         * Uses a router that runs elsewhere: it is checked at start ({@code GET /health} must answer
         * 2xx) and never spawned, restarted or stopped. Conflicts with {@link #routerCommand(List)}.
         *
         * @param url the router's base URL without a path, e.g. {@code http://127.0.0.1:8888}
         * @return this builder
         * @throws IllegalArgumentException if not an http(s) URL, or it has a path or query
         */
        public Builder routerUrl(String url) {
            once("routerUrl");
            Objects.requireNonNull(url, "routerUrl");
            HttpUrl parsed = HttpUrl.parse(url.trim());
            if (parsed == null || !parsed.encodedPath().equals("/") || parsed.query() != null
                    || parsed.fragment() != null) {
                throw new IllegalArgumentException("routerUrl must be an http(s) base URL without a path, e.g."
                        + " http://127.0.0.1:8888; was '" + (parsed == null ? masked(url) : masked(parsed)) + "'");
            }
            this.routerUrl = parsed;
            return this;
        }

        /**
         * Spawns this command instead of {@code python3 -m ai_router}. It gets the port in the
         * {@code ROUTER_PORT} environment variable and is ready when
         * {@code http://127.0.0.1:<routerPort>/health} answers any 2xx (a server already answering
         * there is adopted). Conflicts with {@link #routerUrl(String)}.
         *
         * @param command the executable and its arguments
         * @return this builder
         * @throws IllegalArgumentException if empty or the executable is blank
         */
        public Builder routerCommand(List<String> command) {
            once("routerCommand");
            Objects.requireNonNull(command, "routerCommand");
            command.forEach(a -> Objects.requireNonNull(a, "routerCommand argument"));
            if (command.isEmpty() || command.get(0).isBlank()) {
                throw new IllegalArgumentException("routerCommand must name an executable, was " + command);
            }
            this.routerCommand = List.copyOf(command);
            return this;
        }

        /**
         * @param dir the directory holding the {@code ai_router} package, and the router's working
         *     directory (default {@code ./python-router} when it exists, else the router the python-router jar
         *     bundles when it is on the class path ({@link BundledRouter}), else the current directory if it
         *     holds {@code ai_router}; with none of these, {@link ChatBackend#start()} fails saying so)
         * @return this builder
         */
        public Builder routerDirectory(Path dir) {
            once("routerDirectory");
            this.routerDirectory = Objects.requireNonNull(dir, "routerDirectory");
            return this;
        }

        /**
         * @param limits what a router that does not advertise its limits in {@code GET /health} is
         *     assumed to accept (default {@link RouterLimits#ofDefaults()}, the bundled router's); a router
         *     that advertises its limits is held to its own
         * @return this builder
         */
        public Builder routerLimits(RouterLimits limits) {
            once("routerLimits");
            this.routerLimits = Objects.requireNonNull(limits, "routerLimits");
            return this;
        }

        /**
         * Adds environment variables for the routers this backend spawns (the bundled router or a
         * {@link #routerCommand}), on top of those they inherit from the JVM: e.g.
         * {@code ROUTER_LLM_URL} to give the bundled router's knowledge agents a language model. The
         * backend's own ({@code ROUTER_PORT}) win. Values may be secrets (an API key): they are never
         * logged.
         *
         * @param variables names (letters, digits, {@code _}, not starting with a digit) to values
         * @return this builder
         * @throws IllegalArgumentException if a name is not a variable name, or a value holds a NUL
         */
        public Builder routerEnvironment(java.util.Map<String, String> variables) {
            once("routerEnvironment");
            Objects.requireNonNull(variables, "routerEnvironment");
            variables.forEach((name, value) -> {
                Objects.requireNonNull(name, "routerEnvironment name");
                Objects.requireNonNull(value, () -> "routerEnvironment value of " + name);
                if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    throw new IllegalArgumentException("routerEnvironment name '" + name + "' is not an environment"
                            + " variable name; expected letters, digits and _, e.g. ROUTER_LLM_URL");
                }
                if (value.indexOf('\0') >= 0) {
                    throw new IllegalArgumentException("routerEnvironment value of " + name + " holds a NUL character");
                }
            });
            this.routerEnvironment = java.util.Map.copyOf(variables);
            return this;
        }

        /**
         * @param dir where the router's log goes, as {@code <dir>/ai-router.log} (default {@code ./logs})
         * @return this builder
         */
        public Builder logDir(Path dir) {
            once("logDir");
            this.logDir = Objects.requireNonNull(dir, "logDir");
            return this;
        }

        /**
         * @param lines receives each line the router prints (stdout and stderr), on reader threads;
         *     must be quick and must not throw
         * @return this builder
         */
        public Builder routerOutput(Consumer<String> lines) {
            once("routerOutput");
            this.routerOutput = Objects.requireNonNull(lines, "routerOutput");
            return this;
        }

        /**
         * @param config the session store settings (default {@link SessionStoreConfig#ofDefaults()}:
         *     Redis at its default URL if reachable, else in memory)
         * @return this builder
         */
        public Builder storeConfig(SessionStoreConfig config) {
            once("storeConfig");
            this.storeConfig = Objects.requireNonNull(config, "storeConfig");
            return this;
        }

        /**
         * @param origins origins allowed by CORS, as {@code scheme://host[:port]} (default
         *     {@code http://localhost:3000} and {@code http://127.0.0.1:3000}); other origins get no CORS
         *     headers
         * @return this builder
         * @throws IllegalArgumentException if an entry is not an origin
         */
        public Builder corsOrigins(List<String> origins) {
            once("corsOrigins");
            Objects.requireNonNull(origins, "corsOrigins");
            for (String origin : origins) {
                if (origin == null || !ORIGIN.matcher(origin).matches()) {
                    throw new IllegalArgumentException("corsOrigins entry '" + origin + "' is not an origin; expected"
                            + " scheme://host[:port] without a path, e.g. http://localhost:3000");
                }
            }
            this.corsOrigins = List.copyOf(origins);
            return this;
        }

        /**
         * @param timeout how long one router call may take before the client gets 504, positive
         *     (default 30 s)
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder routerTimeout(Duration timeout) {
            once("routerTimeout");
            Objects.requireNonNull(timeout, "routerTimeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("routerTimeout must be positive, was " + timeout);
            }
            this.routerTimeout = timeout;
            return this;
        }

        /**
         * @param bytes the largest request body, 1 KiB–64 MiB (default 1 MiB); larger ones get 413.
         *     It must hold a message of {@code maxMessageCodePoints} (see {@link #build()}).
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxBodyBytes(long bytes) {
            once("maxBodyBytes");
            if (bytes < 1024 || bytes > MAX_BODY_LIMIT) {
                throw new IllegalArgumentException("maxBodyBytes must be 1024-" + MAX_BODY_LIMIT + ", was " + bytes);
            }
            this.maxBodyBytes = bytes;
            return this;
        }

        /**
         * @param n the longest chat message in Unicode code points, 1–1,000,000 (default 8,000); a
         *     router that accepts less lowers the limit to its own
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxMessageCodePoints(int n) {
            once("maxMessageCodePoints");
            if (n < 1 || n > 1_000_000) {
                throw new IllegalArgumentException("maxMessageCodePoints must be 1-1000000, was " + n);
            }
            this.maxMessageCodePoints = n;
            return this;
        }

        /**
         * @param max requests admitted at once (queued for a worker or running), 1–10,000 (default
         *     64); the next one is answered 503 at once
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxInFlight(int max) {
            once("maxInFlight");
            if (max < 1 || max > 10_000) {
                throw new IllegalArgumentException("maxInFlight must be 1-10000, was " + max);
            }
            this.maxInFlight = max;
            return this;
        }

        /**
         * @param policy when to restart a router that exits (default {@link RestartPolicy#onFailure()})
         * @return this builder
         */
        public Builder restartPolicy(RestartPolicy policy) {
            once("restartPolicy");
            this.restartPolicy = Objects.requireNonNull(policy, "restartPolicy");
            return this;
        }

        /**
         * @param probe restart the router after repeated failed health checks (default none)
         * @return this builder
         */
        public Builder livenessProbe(LivenessProbe probe) {
            once("livenessProbe");
            this.livenessProbe = Objects.requireNonNull(probe, "livenessProbe");
            return this;
        }

        /**
         * @param timeout how long {@link ChatBackend#stop()} waits for in-flight requests, not
         *     negative (default 5 s)
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder drainTimeout(Duration timeout) {
            once("drainTimeout");
            Objects.requireNonNull(timeout, "drainTimeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("drainTimeout must not be negative, was " + timeout);
            }
            this.drainTimeout = timeout;
            return this;
        }

        /**
         * @param timeout how long a reload lets the old routers' calls in flight finish before it
         *     stops them anyway; not negative (default 30 s)
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder routerDrainTimeout(Duration timeout) {
            once("routerDrainTimeout");
            Objects.requireNonNull(timeout, "routerDrainTimeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("routerDrainTimeout must not be negative, was " + timeout);
            }
            this.routerDrainTimeout = timeout;
            return this;
        }

        /**
         * Enables the admin endpoints ({@code POST /api/admin/reload} …), which then require
         * {@code Authorization: Bearer <token>}. Without a token they answer 404. Whatever the
         * {@code host}, the token is what guards them: make it long and random (the launcher makes
         * one of 256 bits per run) and keep it out of logs.
         *
         * @param token at least 22 characters (128 bits of base64) of {@code [A-Za-z0-9_-]}
         * @return this builder
         * @throws IllegalArgumentException if shorter or of other characters (the message does not show it)
         */
        public Builder adminToken(String token) {
            once("adminToken");
            Objects.requireNonNull(token, "adminToken");
            if (token.length() < 22 || token.length() > 512 || !token.chars().allMatch(
                    c -> (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
                throw new IllegalArgumentException("adminToken must be 22-512 characters of [A-Za-z0-9_-] (at least"
                        + " 128 bits); the one given (" + token.length() + " characters) is not");
            }
            this.adminToken = token;
            return this;
        }

        /**
         * @param timeout how long the router may send nothing during a streamed reply
         *     ({@code POST /api/chat/stream}) before the stream ends with an {@code error} event and the
         *     partial reply is stored as interrupted; 1 s–1 h (default 30 s). It also bounds the wait for
         *     the router's first event, which it sends once it has chosen an agent.
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder streamIdleTimeout(Duration timeout) {
            this.streamIdleTimeout = between("streamIdleTimeout", timeout, Duration.ofSeconds(1), Duration.ofHours(1));
            return this;
        }

        /**
         * @param max how long a streamed reply may last in all before it ends with an {@code error}
         *     event and is stored as interrupted; 1 s–24 h (default 10 min)
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder streamMaxDuration(Duration max) {
            this.streamMaxDuration = between("streamMaxDuration", max, Duration.ofSeconds(1), Duration.ofHours(24));
            return this;
        }

        /**
         * @param bytes how many bytes of events may wait for a client that reads slowly, per stream,
         *     4 KiB–64 MiB (default 256 KiB); past it the stream ends with an {@code error} event, the
         *     router call is cancelled and the partial reply is stored as interrupted, so memory stays
         *     bounded however many clients stop reading
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder streamBufferBytes(int bytes) {
            once("streamBufferBytes");
            if (bytes < 4096 || bytes > 64 * 1024 * 1024) {
                throw new IllegalArgumentException("streamBufferBytes must be 4096-" + 64 * 1024 * 1024 + ", was " + bytes);
            }
            this.streamBufferBytes = bytes;
            return this;
        }

        /**
         * @param interval how often a stream on which nothing was sent gets a comment line
         *     ({@code : keep-alive}), so that proxies with an idle timeout keep it open; 1 s–1 h
         *     (default 15 s, as the Server-Sent Events specification suggests)
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder streamHeartbeat(Duration interval) {
            this.streamHeartbeat = between("streamHeartbeat", interval, Duration.ofSeconds(1), Duration.ofHours(1));
            return this;
        }

        /**
         * @param bytes the longest streamed reply in UTF-8 bytes, 1 KiB–64 MiB (default 1 MiB); a
         *     longer one is stopped there, ends with an {@code error} event and is stored as interrupted
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxReplyBytes(int bytes) {
            once("maxReplyBytes");
            if (bytes < 1024 || bytes > 64 * 1024 * 1024) {
                throw new IllegalArgumentException("maxReplyBytes must be 1024-" + 64 * 1024 * 1024 + ", was " + bytes);
            }
            this.maxReplyBytes = bytes;
            return this;
        }

        /**
         * @param install whether {@link ChatBackend#start()} installs a JVM shutdown hook that calls
         *     {@link ChatBackend#stop()} (default true)
         * @return this builder
         */
        public Builder shutdownHook(boolean install) {
            once("shutdownHook");
            this.shutdownHook = install;
            return this;
        }

        /**
         * Names this backend, for as long as it runs: {@code GET /health} and {@code GET /api/status}
         * carry it ({@code instanceId}), and each router it spawns reports it in its own
         * {@code /health} ({@code spawned_by}), which is how another backend knows that router is not
         * one to adopt. Give each backend its own id; several backends on one session store are told
         * apart by it. Default: a random id of 10 characters made by each {@link ChatBackend}.
         *
         * @param id 1–64 characters of {@code [A-Za-z0-9._-]}, e.g. {@code web-1} or a host name
         * @return this builder
         * @throws IllegalArgumentException if empty, longer, or of other characters
         */
        public Builder instanceId(String id) {
            once("instanceId");
            Objects.requireNonNull(id, "instanceId");
            if (!INSTANCE_ID.matcher(id).matches()) {
                String shown = id.length() > 80 ? id.substring(0, 80) + "…" : id;
                throw new IllegalArgumentException("instanceId must be 1-64 characters of [A-Za-z0-9._-], e.g. web-1;"
                        + " was '" + shown + "' (" + id.length() + " characters)");
            }
            this.instanceId = id;
            return this;
        }

        /**
         * Whether the backend records meters (HTTP server, routers, store, chat, JVM) and serves them
         * at {@code GET /metrics} in the Prometheus text format (OpenMetrics when the scraper asks for
         * it). Off: no meter is made, and {@code /metrics} answers 404 saying so.
         *
         * @param on default true
         * @return this builder
         */
        public Builder metrics(boolean on) {
            once("metrics");
            this.metrics = on;
            return this;
        }

        /**
         * The Micrometer registry the backend's meters go to, for an application that has its own.
         * {@code GET /metrics} serves it when it is a {@code PrometheusMeterRegistry} (or a composite
         * holding one); otherwise {@code /metrics} answers 404 and the application publishes the meters
         * its own way. Durations, history lengths and turns are held by the thread that recorded them
         * and applied in batches: a scrape of {@code GET /metrics} counts every one recorded before
         * it, and a registry read by other means lags by at most a second. The backend removes its
         * meters when it stops, and never closes this registry.
         * Give each backend in one JVM its own registry: a second backend whose routers' pool would
         * publish the same meters on the same registry fails to start (router-lifecycle refuses two
         * pools of one name on one registry rather than mix their series). Default: a Prometheus registry of the backend's own, with
         * Micrometer's JVM and process meters.
         *
         * @param registry the registry
         * @return this builder
         */
        public Builder meterRegistry(MeterRegistry registry) {
            once("meterRegistry");
            this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
            return this;
        }

        /**
         * How long {@link ChatBackend#stop()} keeps serving chat after {@code GET /readyz} turned 503,
         * before it drains: behind a load balancer or a Kubernetes Service, a few seconds, so that
         * they stop sending requests before the backend stops taking them. Default 0, so that Ctrl+C
         * stops at once.
         *
         * @param delay 0 to 5 minutes
         * @return this builder
         * @throws IllegalArgumentException if negative or longer
         */
        public Builder shutdownDelay(Duration delay) {
            this.shutdownDelay = between("shutdownDelay", delay, Duration.ZERO, Duration.ofMinutes(5));
            return this;
        }

        /**
         * Whether the bundled router (and a {@code routerCommand} that accepts it) logs JSON lines:
         * the router is started with {@code --log-format json}, and its log file holds one JSON
         * object per line, the supervisor's own lines included (same field names as the launcher's
         * JSON log: {@code timestamp}, {@code level}, {@code logger}, {@code message},
         * {@code request_id}, {@code trace_id}, {@code session}). The backend's own log format is
         * the application's logging configuration.
         *
         * @param on default false
         * @return this builder
         */
        public Builder jsonLogs(boolean on) {
            once("jsonLogs");
            this.jsonLogs = on;
            return this;
        }

        /**
         * Checks the rules between options and builds the config.
         *
         * @return the config
         * @throws IllegalArgumentException if {@code routerUrl} and {@code routerCommand} are both set;
         *     if {@code maxBodyBytes} cannot hold a message of {@code maxMessageCodePoints} (4 bytes per
         *     code point plus 1 KiB); if the router directory does not exist, or (for the default
         *     command) has no {@code ai_router} package
         */
        public BackendConfig build() {
            if (routers > 1 && routerPort != null && routerPort > 0) {
                throw new IllegalArgumentException("routerPort (" + routerPort + ") fixes the port of a single router;"
                        + " routers (" + routers + ") need free ports: drop routerPort, or set routers to 1");
            }
            if (routers > 1 && routerUrl != null) {
                throw new IllegalArgumentException("routerUrl (" + masked(routerUrl) + ") is one router that runs"
                        + " elsewhere; routers (" + routers + ") are spawned: set one of them");
            }
            if (routerUrl != null && routerCommand != null) {
                throw new IllegalArgumentException("routerUrl (" + masked(routerUrl) + ") and routerCommand ("
                        + routerCommand.get(0) + " …) conflict: an external router is never spawned; set one of them");
            }
            long needed = 4L * maxMessageCodePoints + REQUEST_ENVELOPE_BYTES;
            if (maxBodyBytes < needed) {
                throw new IllegalArgumentException("maxBodyBytes (" + maxBodyBytes + ") cannot hold a message of"
                        + " maxMessageCodePoints (" + maxMessageCodePoints + ") code points, which takes up to " + needed
                        + " bytes of JSON; raise maxBodyBytes to at least " + needed + ", or lower maxMessageCodePoints");
            }
            if (RouteBudget.maxQueryCodePoints(routerLimits) < 1) {
                throw new IllegalArgumentException("routerLimits (" + routerLimits + ") leave no room for a message:"
                        + " a request needs at least " + RouteBudget.minBodyBytes() + " body bytes");
            }
            return new BackendConfig(this, routerDirectory());
        }

        private Path routerDirectory() {
            if (routerDirectory == null) {
                Path fallback = Path.of("python-router");
                return Files.isDirectory(fallback.resolve("ai_router")) ? fallback : null;
            }
            if (!Files.isDirectory(routerDirectory)) {
                throw new IllegalArgumentException("routerDirectory '" + routerDirectory.toAbsolutePath()
                        + "' does not exist or is not a directory");
            }
            if (routerCommand == null && routerUrl == null
                    && !Files.isRegularFile(routerDirectory.resolve("ai_router").resolve("__main__.py"))) {
                throw new IllegalArgumentException("routerDirectory '" + routerDirectory.toAbsolutePath()
                        + "' has no ai_router package (ai_router/__main__.py); point it at the python-router folder");
            }
            return routerDirectory;
        }

        private Duration between(String option, Duration value, Duration min, Duration max) {
            once(option);
            Objects.requireNonNull(value, option);
            if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
                throw new IllegalArgumentException(option + " must be " + human(min) + "-" + human(max) + ", was "
                        + human(value));
            }
            return value;
        }

        private static String human(Duration d) {
            if (d.toMillis() % 1000 != 0) {
                return d.toMillis() + " ms";
            }
            long s = d.getSeconds();
            return s % 3600 == 0 ? s / 3600 + " h" : s % 60 == 0 ? s / 60 + " min" : s + " s";
        }

        private void once(String option) {
            if (!set.add(option)) {
                throw new IllegalStateException(option + " was already set on this builder");
            }
        }

        private int port(String option, int value) {
            once(option);
            if (value < 0 || value > 65535) {
                throw new IllegalArgumentException(option + " must be 0-65535 (0 = any free port), was " + value);
            }
            return value;
        }
    }
}
