package dev.airouter.backend;

import dev.airouter.lifecycle.LivenessProbe;
import dev.airouter.lifecycle.RestartPolicy;
import dev.airouter.session.SessionStoreConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import okhttp3.HttpUrl;

/**
 * The validated settings of a {@link ChatBackend}, made by its builder. Nullable components mean
 * "not set": {@code routerUrl} (spawn or adopt instead), {@code routerCommand} (the default
 * command), {@code routerDirectory} (the current directory), {@code routerOutput},
 * {@code livenessProbe}.
 */
record BackendSettings(
        String host,
        int port,
        int routerPort,
        HttpUrl routerUrl,
        List<String> routerCommand,
        Path routerDirectory,
        Path logDir,
        Consumer<String> routerOutput,
        SessionStoreConfig storeConfig,
        List<String> corsOrigins,
        Duration routerTimeout,
        long maxBodyBytes,
        int maxMessageCodePoints,
        LivenessProbe livenessProbe,
        RestartPolicy restartPolicy,
        int maxInFlight,
        Duration drainTimeout,
        boolean shutdownHook) {}
