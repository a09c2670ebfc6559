package dev.airouter.lifecycle;

import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Immutable configuration of a {@link ProcessPool}: a {@link ProcessConfig} as the template of
 * every replica, how many replicas, and how each learns its port. Build one with
 * {@link #builder(ProcessConfig)}, vary one with {@link #toBuilder()}.
 *
 * <p>The template's command may contain {@value ProcessPool#PORT} and {@value ProcessPool#GENERATION},
 * and its health check URL {@value ProcessPool#PORT}; the pool fills them in for each replica. The
 * port can also reach the process in an environment variable ({@link Builder#portVariable}), and the
 * generation always does, in {@value ProcessPool#GENERATION_VARIABLE}. Everything else of the template
 * (restart policy, liveness probe, grace period, lifeline …) applies to each replica as it is, except
 * adoption: a replica never adopts a process it finds on its port (that is a start failure naming
 * the holder).
 *
 * <p>Defaults: 1 replica; a free loopback port per replica, picked before each spawn; no port
 * variable; drain timeout 30 s.
 */
public final class PoolConfig {
    private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    static final int MAX_REPLICAS = 64;

    private final ProcessConfig template;
    private final int replicas;
    private final Integer fixedPort;
    private final String portVariable;
    private final Duration drainTimeout;

    private PoolConfig(Builder b) {
        this.template = b.template;
        this.replicas = b.replicas;
        this.fixedPort = b.fixedPort;
        this.portVariable = b.portVariable;
        this.drainTimeout = b.drainTimeout;
    }

    /**
     * Starts a builder.
     *
     * @param template the configuration every replica is made from
     * @return a new builder
     */
    public static Builder builder(ProcessConfig template) {
        return new Builder(Objects.requireNonNull(template, "template"));
    }

    /** @return a builder holding this configuration; every option may be set once more */
    public Builder toBuilder() {
        Builder b = new Builder(template);
        b.replicas = replicas;
        b.fixedPort = fixedPort;
        b.portVariable = portVariable;
        b.drainTimeout = drainTimeout;
        return b;
    }

    /** @return the template of every replica */
    public ProcessConfig template() {
        return template;
    }

    /** @return how many replicas {@link ProcessPool#start()} starts */
    public int replicas() {
        return replicas;
    }

    /** @return the one port of a pool of one, if fixed (else each replica gets a free port) */
    public Optional<Integer> fixedPort() {
        return Optional.ofNullable(fixedPort);
    }

    /** @return the environment variable that carries each replica's port, if one is set */
    public Optional<String> portVariable() {
        return Optional.ofNullable(portVariable);
    }

    /** @return how long a retiring replica may take to drain before it is stopped anyway */
    public Duration drainTimeout() {
        return drainTimeout;
    }

    @Override
    public String toString() {
        return "PoolConfig{template=" + template + ", replicas=" + replicas + ", port="
                + (fixedPort != null ? fixedPort : "free") + ", portVariable=" + portVariable + ", drainTimeout="
                + drainTimeout + "}";
    }

    /**
     * Builds a {@link PoolConfig}. Setters validate at once and may be called once; {@link #build()}
     * checks the rules between options. Not thread-safe.
     */
    public static final class Builder {
        private final Set<String> set = new HashSet<>();
        private final ProcessConfig template;
        private int replicas = 1;
        private Integer fixedPort;
        private String portVariable;
        private Duration drainTimeout = Duration.ofSeconds(30);

        private Builder(ProcessConfig template) {
            this.template = template;
        }

        private void once(String option) {
            if (!set.add(option)) {
                throw new IllegalStateException(option + " was already set on this builder");
            }
        }

        /**
         * @param n how many replicas {@link ProcessPool#start()} starts, 1–64 (default 1)
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder replicas(int n) {
            once("replicas");
            if (n < 1 || n > MAX_REPLICAS) {
                throw new IllegalArgumentException("replicas must be 1-" + MAX_REPLICAS + ", was " + n);
            }
            this.replicas = n;
            return this;
        }

        /**
         * Gives the one replica of a pool of one a fixed port instead of a free one. Two processes
         * cannot listen on one port, so a replacement then stops the old process before it starts the
         * new one: a gap in service, which a free port avoids.
         *
         * @param port 1–65535
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder fixedPort(int port) {
            once("fixedPort");
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("fixedPort must be 1-65535, was " + port);
            }
            this.fixedPort = port;
            return this;
        }

        /**
         * @param name an environment variable that carries each replica's port, e.g. {@code ROUTER_PORT}
         * @return this builder
         * @throws IllegalArgumentException if not a valid variable name
         */
        public Builder portVariable(String name) {
            once("portVariable");
            Objects.requireNonNull(name, "portVariable");
            if (!VARIABLE.matcher(name).matches()) {
                throw new IllegalArgumentException("portVariable must be a variable name ([A-Za-z_][A-Za-z0-9_]*),"
                        + " was '" + name + "'");
            }
            this.portVariable = name;
            return this;
        }

        /**
         * @param timeout how long a retiring replica may drain before it is stopped anyway; not
         *     negative (default 30 s)
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder drainTimeout(Duration timeout) {
            once("drainTimeout");
            this.drainTimeout = Durations.nonNegative("drainTimeout", timeout);
            return this;
        }

        /**
         * Checks the rules between options and builds the configuration.
         *
         * @return the configuration
         * @throws IllegalArgumentException if a fixed port is combined with more than one replica; if
         *     the template gives a replica no way to learn its port (no {@value ProcessPool#PORT} in the
         *     command and no port variable); or if the template's health check URL has a fixed port
         *     (replicas would all check the same one) while ports are free
         */
        public PoolConfig build() {
            if (fixedPort != null && replicas > 1) {
                throw new IllegalArgumentException("fixedPort (" + fixedPort + ") needs a pool of one replica, not "
                        + replicas + ": two processes cannot listen on one port");
            }
            boolean portInCommand = template.command().stream().anyMatch(a -> a.contains(ProcessPool.PORT));
            if (!portInCommand && portVariable == null) {
                throw new IllegalArgumentException("the template of '" + template.name() + "' passes no port to the"
                        + " process: put " + ProcessPool.PORT + " in its command, or set portVariable(...)");
            }
            if (fixedPort == null && template.healthCheck().isPresent()
                    && !template.healthCheck().get().hasPortPlaceholder()) {
                throw new IllegalArgumentException("the health check of '" + template.name() + "' ("
                        + template.healthCheck().get().url() + ") has a fixed port; write it with "
                        + ProcessPool.PORT + ", e.g. http://127.0.0.1:" + ProcessPool.PORT + "/health");
            }
            return new PoolConfig(this);
        }
    }
}
