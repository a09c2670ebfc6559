package dev.airouter.lifecycle;

import io.micrometer.core.instrument.MeterRegistry;
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
 * variable; drain timeout 30 s; no meters.
 */
public final class PoolConfig {
    private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    static final int MAX_REPLICAS = 64;

    private final ProcessConfig template;
    private final int replicas;
    private final Integer fixedPort;
    private final String portVariable;
    private final Duration drainTimeout;
    /** Only declared and copied here (never a call on it), so this class loads without Micrometer. */
    private final MeterRegistry meterRegistry;

    private PoolConfig(Builder b) {
        this.template = b.template;
        this.replicas = b.replicas;
        this.fixedPort = b.fixedPort;
        this.portVariable = b.portVariable;
        this.drainTimeout = b.drainTimeout;
        this.meterRegistry = b.meterRegistry;
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
        b.meterRegistry = meterRegistry;
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

    /**
     * @return the registry the pool publishes its meters to, if one was given (see
     *     {@link Builder#meterRegistry(MeterRegistry)})
     */
    public Optional<MeterRegistry> meterRegistry() {
        return Optional.ofNullable(meterRegistry);
    }

    @Override
    public String toString() {
        return "PoolConfig{template=" + template + ", replicas=" + replicas + ", port="
                + (fixedPort != null ? fixedPort : "free") + ", portVariable=" + portVariable + ", drainTimeout="
                + drainTimeout + ", meters=" + (meterRegistry != null) + "}";
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
        private MeterRegistry meterRegistry;

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
         * Publishes the pool's meters to {@code registry}, tagged {@code pool} = the template's name and,
         * per replica, {@code replica} = its index (never its pid, port or generation: those change with
         * every restart or replace, and so would the number of series):
         * <table>
         *   <caption>Meters</caption>
         *   <tr><th>Name</th><th>Type, tags</th><th>Value</th></tr>
         *   <tr><td>{@code airouter.pool.replica.state}</td><td>gauge; pool, replica, state</td>
         *       <td>one series per {@link ProcessState}, {@code state} in lower case ({@code running} …): 1 for
         *       the state the replica is in, 0 for the others</td></tr>
         *   <tr><td>{@code airouter.pool.replica.restarts}</td><td>counter; pool, replica</td>
         *       <td>supervised restarts at the index (each {@link ProcessState#RESTARTING}) over the pool's
         *       life: a new generation continues its predecessor's count</td></tr>
         *   <tr><td>{@code airouter.pool.replica.startup.duration}</td><td>time gauge, seconds; pool,
         *       replica</td><td>how long the latest start at the index took from spawn to ready; NaN until
         *       the first was ready</td></tr>
         *   <tr><td>{@code airouter.pool.replica.generation}</td><td>gauge; pool, replica</td>
         *       <td>the generation of the replica at the index; NaN while there is none</td></tr>
         *   <tr><td>{@code airouter.pool.replicas.ready}</td><td>gauge; pool</td>
         *       <td>how many replicas are {@linkplain Replica#isReady() ready}</td></tr>
         * </table>
         * During a replace two replicas share an index; the state and the generation are those of the
         * successor (the newest one not retiring), or of the predecessor when there is none. While an
         * index has no replica at all (a fixed port's replace, a stopped pool) its state is
         * {@code stopped}. An index's meters appear when its first replica is added; they are removed
         * when a {@link ProcessPool#resize resize} takes the index away, and all of the pool's when it is
         * {@link ProcessPool#close() closed}. Gauges read the pool when the registry is scraped. Give
         * each pool in one registry its own name; {@link ProcessPool#create} refuses a second.
         *
         * <p>Why this is an option of the pool and Micrometer an optional dependency, rather than a
         * {@link ReplicaListener} adapter left to each embedder: it is one call, the names and tags are
         * the same in every embedder, and state gauges need the pool's view of who serves an index, which
         * events alone do not give. The dependency is {@code <optional>}: an embedder without Micrometer
         * gets nothing pulled in, and the pool never loads a Micrometer class unless a registry was
         * given (a test runs a pool in a JVM without Micrometer on its class path).
         *
         * @param registry where the meters go, e.g. a Prometheus registry
         * @return this builder
         */
        public Builder meterRegistry(MeterRegistry registry) {
            once("meterRegistry");
            this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
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
