package dev.airouter.backend;

import dev.airouter.lifecycle.LivenessProbe;
import dev.airouter.lifecycle.RestartPolicy;
import dev.airouter.session.SessionStoreConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;

/**
 * The validation behind {@link ChatBackend.Builder}: each setter checks its value at once and may be
 * called once; {@link #build()} applies the defaults and the rules between options.
 */
final class BuilderState {
    private static final Pattern ORIGIN = Pattern.compile("https?://[^/\\s?#]+");
    private static final long MAX_BODY_LIMIT = 64L * 1024 * 1024;

    private final Set<String> set = new HashSet<>();
    private String host = "127.0.0.1";
    private int port = 3002;
    private int routerPort = 8888;
    private HttpUrl routerUrl;
    private List<String> routerCommand;
    private Path routerDirectory;
    private Path logDir = Path.of("logs");
    private Consumer<String> routerOutput;
    private SessionStoreConfig storeConfig;
    private List<String> corsOrigins = List.of("http://localhost:3000", "http://127.0.0.1:3000");
    private Duration routerTimeout = Duration.ofSeconds(30);
    private long maxBodyBytes = 1024 * 1024;
    private int maxMessageCodePoints = 8000;
    private LivenessProbe livenessProbe;
    private RestartPolicy restartPolicy = RestartPolicy.onFailure();
    private int maxInFlight = 64;
    private Duration drainTimeout = Duration.ofSeconds(5);
    private boolean shutdownHook = true;

    private void once(String option) {
        if (!set.add(option)) {
            throw new IllegalStateException(option + " was already set on this builder");
        }
    }

    void host(String value) {
        once("host");
        Objects.requireNonNull(value, "host");
        if (value.isBlank() || value.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("host must be an address or name without spaces, e.g. 127.0.0.1; was '"
                    + value + "'");
        }
        host = value;
    }

    void port(int value) {
        once("port");
        port = port("port", value);
    }

    void routerPort(int value) {
        once("routerPort");
        routerPort = port("routerPort", value);
    }

    private static int port(String name, int value) {
        if (value < 0 || value > 65535) {
            throw new IllegalArgumentException(name + " must be 0-65535 (0 = any free port), was " + value);
        }
        return value;
    }

    void routerUrl(String value) {
        once("routerUrl");
        Objects.requireNonNull(value, "routerUrl");
        HttpUrl url = HttpUrl.parse(value.trim());
        if (url == null || !url.encodedPath().equals("/") || url.query() != null) {
            throw new IllegalArgumentException("routerUrl must be an http(s) base URL without a path, e.g."
                    + " http://127.0.0.1:8888; was '" + value + "'");
        }
        routerUrl = url;
    }

    void routerCommand(List<String> value) {
        once("routerCommand");
        Objects.requireNonNull(value, "routerCommand");
        value.forEach(a -> Objects.requireNonNull(a, "routerCommand argument"));
        if (value.isEmpty() || value.get(0).isBlank()) {
            throw new IllegalArgumentException("routerCommand must name an executable, was " + value);
        }
        routerCommand = List.copyOf(value);
    }

    void routerDirectory(Path value) {
        once("routerDirectory");
        routerDirectory = Objects.requireNonNull(value, "routerDirectory");
    }

    void logDir(Path value) {
        once("logDir");
        logDir = Objects.requireNonNull(value, "logDir");
    }

    void routerOutput(Consumer<String> value) {
        once("routerOutput");
        routerOutput = Objects.requireNonNull(value, "routerOutput");
    }

    void storeConfig(SessionStoreConfig value) {
        once("storeConfig");
        storeConfig = Objects.requireNonNull(value, "storeConfig");
    }

    void corsOrigins(List<String> value) {
        once("corsOrigins");
        Objects.requireNonNull(value, "corsOrigins");
        for (String origin : value) {
            if (origin == null || !ORIGIN.matcher(origin).matches()) {
                throw new IllegalArgumentException("corsOrigins entry '" + origin + "' is not an origin; expected"
                        + " scheme://host[:port] without a path, e.g. http://localhost:3000");
            }
        }
        corsOrigins = List.copyOf(value);
    }

    void routerTimeout(Duration value) {
        once("routerTimeout");
        Objects.requireNonNull(value, "routerTimeout");
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("routerTimeout must be positive, was " + value);
        }
        routerTimeout = value;
    }

    void maxBodyBytes(long value) {
        once("maxBodyBytes");
        if (value < 1024 || value > MAX_BODY_LIMIT) {
            throw new IllegalArgumentException("maxBodyBytes must be 1024-" + MAX_BODY_LIMIT + ", was " + value);
        }
        maxBodyBytes = value;
    }

    void maxMessageCodePoints(int value) {
        once("maxMessageCodePoints");
        if (value < 1 || value > 10_000) {
            throw new IllegalArgumentException("maxMessageCodePoints must be 1-10000 (the router refuses longer"
                    + " queries), was " + value);
        }
        maxMessageCodePoints = value;
    }

    void livenessProbe(LivenessProbe value) {
        once("livenessProbe");
        livenessProbe = Objects.requireNonNull(value, "livenessProbe");
    }

    void restartPolicy(RestartPolicy value) {
        once("restartPolicy");
        restartPolicy = Objects.requireNonNull(value, "restartPolicy");
    }

    void maxInFlight(int value) {
        once("maxInFlight");
        if (value < 1 || value > 10_000) {
            throw new IllegalArgumentException("maxInFlight must be 1-10000, was " + value);
        }
        maxInFlight = value;
    }

    void drainTimeout(Duration value) {
        once("drainTimeout");
        Objects.requireNonNull(value, "drainTimeout");
        if (value.isNegative()) {
            throw new IllegalArgumentException("drainTimeout must not be negative, was " + value);
        }
        drainTimeout = value;
    }

    void shutdownHook(boolean value) {
        once("shutdownHook");
        shutdownHook = value;
    }

    BackendSettings build() {
        if (routerUrl != null && routerCommand != null) {
            throw new IllegalArgumentException("routerUrl (" + routerUrl + ") and routerCommand (" + routerCommand
                    + ") conflict: an external router is never spawned; set one of them");
        }
        Path directory = routerDirectory;
        if (directory == null) {
            Path fallback = Path.of("python-router");
            directory = Files.isDirectory(fallback.resolve("ai_router")) ? fallback : null;
        } else if (!Files.isDirectory(directory)) {
            throw new IllegalArgumentException("routerDirectory '" + directory.toAbsolutePath()
                    + "' does not exist or is not a directory");
        } else if (routerCommand == null && routerUrl == null
                && !Files.isRegularFile(directory.resolve("ai_router").resolve("__main__.py"))) {
            throw new IllegalArgumentException("routerDirectory '" + directory.toAbsolutePath() + "' has no ai_router"
                    + " package (ai_router/__main__.py); point it at the python-router folder");
        }
        return new BackendSettings(host, port, routerPort, routerUrl, routerCommand, directory, logDir, routerOutput,
                storeConfig != null ? storeConfig : SessionStoreConfig.ofDefaults(), corsOrigins, routerTimeout,
                maxBodyBytes, maxMessageCodePoints, livenessProbe, restartPolicy, maxInFlight, drainTimeout,
                shutdownHook);
    }
}
