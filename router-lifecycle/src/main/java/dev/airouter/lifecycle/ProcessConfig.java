package dev.airouter.lifecycle;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import okhttp3.OkHttpClient;

/**
 * Immutable configuration of a {@link ManagedProcess}, made with {@link #builder(String)}.
 *
 * <p>Defaults: working directory = the JVM's; environment = the JVM's plus
 * {@code PYTHONUNBUFFERED=1} (unless set); no health check; readiness = the health check when one is
 * set, otherwise "spawned"; startup timeout 30 s; stop grace period 5 s; log file
 * {@code logs/<name>.log} rotated at 10 MiB keeping 3 old files, lines as printed (not JSON lines);
 * adoption allowed; adopted processes left running by {@code stop()}; restart policy
 * {@link RestartPolicy#never()}; no liveness probe; a JVM shutdown hook stops the process; the kill -9
 * lifeline on (POSIX with {@code setsid}).
 */
public final class ProcessConfig {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final String name;
    private final List<String> command;
    private final Path workingDirectory;
    private final Map<String, String> environment;
    private final HealthCheck healthCheck;
    private final List<ReadinessCheck> readiness;
    private final Duration startupTimeout;
    private final Duration stopGracePeriod;
    private final Path logFile;
    private final long logMaxBytes;
    private final int logBackups;
    private final boolean jsonLog;
    private final boolean allowAdoption;
    private final boolean stopAdopted;
    private final Consumer<String> outputListener;
    private final RestartPolicy restartPolicy;
    private final LivenessProbe livenessProbe;
    private final boolean shutdownHook;
    private final boolean lifeline;
    private final OkHttpClient httpClient;
    private final Clock clock;

    private ProcessConfig(Builder b) {
        this.name = b.name;
        this.command = List.copyOf(b.command);
        this.workingDirectory = b.workingDirectory;
        this.environment = Map.copyOf(b.environment);
        this.healthCheck = b.healthCheck;
        this.readiness = List.copyOf(b.readiness);
        this.startupTimeout = b.startupTimeout;
        this.stopGracePeriod = b.stopGracePeriod;
        this.logFile = b.logFile != null ? b.logFile : Path.of("logs", b.name + ".log");
        this.logMaxBytes = b.logMaxBytes;
        this.logBackups = b.logBackups;
        this.jsonLog = b.jsonLog;
        this.allowAdoption = b.allowAdoption;
        this.stopAdopted = b.stopAdopted;
        this.outputListener = b.outputListener;
        this.restartPolicy = b.restartPolicy;
        this.livenessProbe = b.livenessProbe;
        this.shutdownHook = b.shutdownHook;
        this.lifeline = b.lifeline;
        this.httpClient = b.httpClient;
        this.clock = b.clock;
    }

    /**
     * Starts a builder.
     *
     * @param name a short name used in logs, events and the default log file
     *     ({@code [A-Za-z0-9][A-Za-z0-9._-]*}, at most 64 characters)
     * @return a new builder
     * @throws IllegalArgumentException if the name is not valid
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** @return a builder holding this configuration; every option may be set again once */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** @return the name */
    public String name() { return name; }

    /** @return the command and its arguments */
    public List<String> command() { return command; }

    /** @return the working directory, if one was set */
    public Optional<Path> workingDirectory() { return Optional.ofNullable(workingDirectory); }

    /** @return variables added to (or overriding) the JVM's environment for the process */
    public Map<String, String> environment() { return environment; }

    /** @return the HTTP health check, if any */
    public Optional<HealthCheck> healthCheck() { return Optional.ofNullable(healthCheck); }

    /** @return the readiness checks that must all pass (empty: ready once spawned) */
    public List<ReadinessCheck> readiness() { return readiness; }

    /** @return the startup timeout */
    public Duration startupTimeout() { return startupTimeout; }

    /** @return the time between SIGTERM and SIGKILL when stopping */
    public Duration stopGracePeriod() { return stopGracePeriod; }

    /** @return the log file */
    public Path logFile() { return logFile; }

    /** @return the size at which the log file is rotated */
    public long logMaxBytes() { return logMaxBytes; }

    /** @return how many rotated log files are kept */
    public int logBackups() { return logBackups; }

    /** @return whether the log file is written as JSON lines (see {@link Builder#jsonLog(boolean)}) */
    public boolean jsonLog() { return jsonLog; }

    /** @return whether a healthy process found on the port is adopted */
    public boolean allowAdoption() { return allowAdoption; }

    /** @return whether {@code stop()} also stops an adopted process */
    public boolean stopAdopted() { return stopAdopted; }

    /** @return the consumer that also receives each output line, if any */
    public Optional<Consumer<String>> outputListener() { return Optional.ofNullable(outputListener); }

    /** @return the restart policy */
    public RestartPolicy restartPolicy() { return restartPolicy; }

    /** @return the liveness probe, if any */
    public Optional<LivenessProbe> livenessProbe() { return Optional.ofNullable(livenessProbe); }

    /** @return whether a JVM shutdown hook stops the process */
    public boolean shutdownHook() { return shutdownHook; }

    /** @return whether the kill -9 lifeline is used where the platform supports it */
    public boolean lifeline() { return lifeline; }

    /** @return the HTTP client for health checks, if one was given */
    public Optional<OkHttpClient> httpClient() { return Optional.ofNullable(httpClient); }

    /** @return the time source of timestamps, uptimes and the restart window */
    public Clock clock() { return clock; }

    /** The port the process is expected to listen on: from the health check, else a TCP readiness check. */
    Optional<Integer> port() {
        if (healthCheck != null) {
            return healthCheck.hasPortPlaceholder() ? Optional.empty() : Optional.of(healthCheck.port());
        }
        return readiness.stream().filter(r -> r instanceof ReadinessChecks.Tcp)
                .map(r -> ((ReadinessChecks.Tcp) r).port()).findFirst();
    }

    /** The first {@link ProcessPool} placeholder left in the command or the health URL, if any. */
    Optional<String> placeholder() {
        if (healthCheck != null && healthCheck.hasPortPlaceholder()) {
            return Optional.of(HealthCheck.PORT_PLACEHOLDER);
        }
        for (String arg : command) {
            for (String p : List.of(ProcessPool.PORT, ProcessPool.GENERATION)) {
                if (arg.contains(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "ProcessConfig{name=" + name + ", command=" + command + ", healthCheck=" + healthCheck
                + ", readiness=" + readiness + ", startupTimeout=" + startupTimeout + ", restartPolicy="
                + restartPolicy + "}";
    }

    /**
     * Builds a {@link ProcessConfig}. Setters validate their argument at once; setting the same
     * option twice is an error; {@link #build()} checks the rules between options. Not thread-safe.
     */
    public static final class Builder {
        private final Set<String> set = new HashSet<>();
        private final String name;
        private List<String> command = List.of();
        private Path workingDirectory;
        private Map<String, String> environment = new LinkedHashMap<>();
        private HealthCheck healthCheck;
        private List<ReadinessCheck> readiness;
        private Duration startupTimeout = Duration.ofSeconds(30);
        private Duration stopGracePeriod = Duration.ofSeconds(5);
        private Path logFile;
        private long logMaxBytes = 10L * 1024 * 1024;
        private int logBackups = 3;
        private boolean jsonLog;
        private boolean allowAdoption = true;
        private boolean stopAdopted;
        private Consumer<String> outputListener;
        private RestartPolicy restartPolicy = RestartPolicy.never();
        private LivenessProbe livenessProbe;
        private boolean shutdownHook = true;
        private boolean lifeline = true;
        private OkHttpClient httpClient;
        private Clock clock = Clock.systemUTC();

        private Builder(String name) {
            Objects.requireNonNull(name, "name");
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("name '" + name
                        + "' is not valid; expected 1-64 characters of [A-Za-z0-9._-], starting with a letter or digit");
            }
            this.name = name;
        }

        private Builder(ProcessConfig c) {
            this.name = c.name;
            this.command = c.command;
            this.workingDirectory = c.workingDirectory;
            this.environment = new LinkedHashMap<>(c.environment);
            this.healthCheck = c.healthCheck;
            this.readiness = c.readiness;
            this.startupTimeout = c.startupTimeout;
            this.stopGracePeriod = c.stopGracePeriod;
            this.logFile = c.logFile;
            this.logMaxBytes = c.logMaxBytes;
            this.logBackups = c.logBackups;
            this.jsonLog = c.jsonLog;
            this.allowAdoption = c.allowAdoption;
            this.stopAdopted = c.stopAdopted;
            this.outputListener = c.outputListener;
            this.restartPolicy = c.restartPolicy;
            this.livenessProbe = c.livenessProbe;
            this.shutdownHook = c.shutdownHook;
            this.lifeline = c.lifeline;
            this.httpClient = c.httpClient;
            this.clock = c.clock;
        }

        private void once(String option) {
            if (!set.add(option)) {
                throw new IllegalStateException(option + " was already set on this builder");
            }
        }

        /**
         * Sets the command to run.
         *
         * @param command the executable (a name looked up on {@code PATH}, or a path) and its arguments
         * @return this builder
         * @throws IllegalArgumentException if empty or an element is empty
         */
        public Builder command(List<String> command) {
            once("command");
            Objects.requireNonNull(command, "command");
            if (command.isEmpty() || command.get(0).isBlank()) {
                throw new IllegalArgumentException("command must name an executable, was " + command);
            }
            command.forEach(a -> Objects.requireNonNull(a, "command argument"));
            this.command = List.copyOf(command);
            return this;
        }

        /**
         * Sets the command to run.
         *
         * @param command the executable and its arguments
         * @return this builder
         */
        public Builder command(String... command) {
            return command(List.of(command));
        }

        /**
         * @param directory the directory the process starts in; must exist at {@link #build()}
         * @return this builder
         */
        public Builder workingDirectory(Path directory) {
            once("workingDirectory");
            this.workingDirectory = Objects.requireNonNull(directory, "workingDirectory");
            return this;
        }

        /**
         * Adds environment variables on top of the JVM's environment.
         *
         * @param variables names and values
         * @return this builder
         */
        public Builder environment(Map<String, String> variables) {
            once("environment");
            variables.forEach((k, v) -> {
                if (k == null || k.isEmpty() || k.contains("=") || v == null) {
                    throw new IllegalArgumentException("environment variable " + k + "=" + v
                            + " is not valid; expected a non-empty name without '=' and a value");
                }
            });
            this.environment = new LinkedHashMap<>(variables);
            return this;
        }

        /**
         * @param check the HTTP health check (adoption, default readiness, liveness)
         * @return this builder
         */
        public Builder healthCheck(HealthCheck check) {
            once("healthCheck");
            this.healthCheck = Objects.requireNonNull(check, "healthCheck");
            return this;
        }

        /**
         * Replaces the default readiness (the health check) with these checks, which must all pass.
         *
         * @param checks the checks; none means ready as soon as spawned
         * @return this builder
         */
        public Builder readiness(ReadinessCheck... checks) {
            once("readiness");
            List<ReadinessCheck> list = new ArrayList<>();
            for (ReadinessCheck c : checks) {
                list.add(Objects.requireNonNull(c, "readiness check"));
            }
            this.readiness = list;
            return this;
        }

        /**
         * @param timeout how long a start may take to become ready (default 30 s); positive
         * @return this builder
         */
        public Builder startupTimeout(Duration timeout) {
            once("startupTimeout");
            this.startupTimeout = Durations.positive("startupTimeout", timeout);
            return this;
        }

        /**
         * @param grace time between SIGTERM and SIGKILL in {@code stop()} (default 5 s); not negative
         * @return this builder
         */
        public Builder stopGracePeriod(Duration grace) {
            once("stopGracePeriod");
            this.stopGracePeriod = Durations.nonNegative("stopGracePeriod", grace);
            return this;
        }

        /**
         * @param file the log file (default {@code logs/<name>.log}); parent directories are created
         * @return this builder
         */
        public Builder logFile(Path file) {
            once("logFile");
            this.logFile = Objects.requireNonNull(file, "logFile");
            return this;
        }

        /**
         * @param maxBytes rotate when the log would exceed this size (default 10 MiB), at least 1024
         * @param backups rotated files kept as {@code <file>.1} … {@code <file>.N} (default 3), at least 1
         * @return this builder
         */
        public Builder logRotation(long maxBytes, int backups) {
            once("logRotation");
            if (maxBytes < 1024) {
                throw new IllegalArgumentException("logRotation maxBytes must be >= 1024, was " + maxBytes);
            }
            if (backups < 1) {
                throw new IllegalArgumentException("logRotation backups must be >= 1, was " + backups);
            }
            this.logMaxBytes = maxBytes;
            this.logBackups = backups;
            return this;
        }

        /**
         * Writes the log file as JSON lines, for a child that logs JSON itself (the bundled router with
         * {@code --log-format json}), so one shipper reads every line. Default false: lines as printed.
         *
         * <p>When on, an output line that is a JSON object (trimmed, it starts with <code>{</code> and ends
         * with <code>}</code>) is written as it is; it is trusted, not parsed. Any other line (a traceback
         * printed before the child set up its logging, say) becomes one object
         * <pre>{@code {"timestamp":"2025-01-02T03:04:05.678Z","level":"INFO","logger":"<name>.output","message":"<the line>"}}</pre>
         * and the header written at each start ({@code === <time> started pid … ===} otherwise) becomes
         * the same with {@code "logger":"dev.airouter.lifecycle"} and {@code "message":"started pid … in …"}.
         * The timestamp is UTC with milliseconds, from the {@link #clock(Clock) clock}; control
         * characters, quotes and backslashes are escaped. A {@link ProcessPool} replica adds
         * {@code "generation":N} to these objects instead of the {@code [gN] } mark it puts before plain
         * lines. These field names are shared with the project's other JSON logs. The
         * {@link #outputListener(Consumer) output listener} and {@link ReadinessCheck#logLine log-line
         * readiness} still see each line as printed.
         *
         * @param json whether to write JSON lines (default false)
         * @return this builder
         */
        public Builder jsonLog(boolean json) {
            once("jsonLog");
            this.jsonLog = json;
            return this;
        }

        /**
         * @param allow whether a healthy expected service already on the port is adopted (default true);
         *     when false such a port counts as in use
         * @return this builder
         */
        public Builder allowAdoption(boolean allow) {
            once("allowAdoption");
            this.allowAdoption = allow;
            return this;
        }

        /**
         * @param stop whether {@code stop()} also stops an adopted process (default false)
         * @return this builder
         */
        public Builder stopAdopted(boolean stop) {
            once("stopAdopted");
            this.stopAdopted = stop;
            return this;
        }

        /**
         * @param listener also receives every output line (stdout and stderr), on the reader threads;
         *     it must be quick and must not throw
         * @return this builder
         */
        public Builder outputListener(Consumer<String> listener) {
            once("outputListener");
            this.outputListener = Objects.requireNonNull(listener, "outputListener");
            return this;
        }

        /**
         * @param policy when to restart after an exit (default {@link RestartPolicy#never()})
         * @return this builder
         */
        public Builder restartPolicy(RestartPolicy policy) {
            once("restartPolicy");
            this.restartPolicy = Objects.requireNonNull(policy, "restartPolicy");
            return this;
        }

        /**
         * @param probe restart after repeated failed health checks (needs a health check)
         * @return this builder
         */
        public Builder livenessProbe(LivenessProbe probe) {
            once("livenessProbe");
            this.livenessProbe = Objects.requireNonNull(probe, "livenessProbe");
            return this;
        }

        /**
         * @param install whether a JVM shutdown hook stops the process (default true)
         * @return this builder
         */
        public Builder shutdownHook(boolean install) {
            once("shutdownHook");
            this.shutdownHook = install;
            return this;
        }

        /**
         * @param use whether to run the kill -9 lifeline watcher (default true; ignored where
         *     {@code sh} and {@code setsid} are missing)
         * @return this builder
         */
        public Builder lifeline(boolean use) {
            once("lifeline");
            this.lifeline = use;
            return this;
        }

        /**
         * @param client the OkHttp client for health checks (default: a private one with short timeouts)
         * @return this builder
         */
        public Builder httpClient(OkHttpClient client) {
            once("httpClient");
            this.httpClient = Objects.requireNonNull(client, "httpClient");
            return this;
        }

        /**
         * Sets the time source (default {@link Clock#systemUTC()}) of start times, uptimes, event times,
         * the next restart time and the restart window of the {@link RestartPolicy}, so tests can
         * move time instead of waiting for it. Backoff delays and timeouts still run on real time.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            once("clock");
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Checks the rules between options and builds the configuration.
         *
         * @return the configuration
         * @throws IllegalArgumentException if the command is missing or its executable cannot be
         *     found, the working directory does not exist, or readiness/liveness need a health
         *     check that is not set
         */
        public ProcessConfig build() {
            if (command.isEmpty()) {
                throw new IllegalArgumentException("command is not set for '" + name
                        + "'; set it with command(\"executable\", \"arg\", ...)");
            }
            if (workingDirectory != null && !Files.isDirectory(workingDirectory)) {
                throw new IllegalArgumentException("workingDirectory '" + workingDirectory.toAbsolutePath()
                        + "' does not exist or is not a directory; create it or point workingDirectory elsewhere");
            }
            Executables.require(command.get(0), environment, workingDirectory);
            if (readiness == null) {
                readiness = healthCheck != null ? List.of(ReadinessCheck.health()) : List.of();
            }
            if (healthCheck == null && readiness.contains(ReadinessCheck.health())) {
                throw new IllegalArgumentException("readiness uses the health check but healthCheck is not set");
            }
            if (healthCheck == null && livenessProbe != null) {
                throw new IllegalArgumentException("livenessProbe needs a healthCheck; set healthCheck(HealthCheck.http(url))");
            }
            return new ProcessConfig(this);
        }
    }
}
