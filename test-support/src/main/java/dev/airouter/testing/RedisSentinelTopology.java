package dev.airouter.testing;

import dev.airouter.testing.Polls.Check;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Redis Sentinel setup on loopback for tests and benchmarks: one master, some replicas and
 * three sentinels, each a {@code redis-server} child process ({@link RedisServer}) on a free port.
 *
 * <p>Defaults: master name {@value #DEFAULT_MASTER_NAME}, one replica, no password, quorum 2 of the 3
 * sentinels, {@code down-after-milliseconds} {@link #DEFAULT_DOWN_AFTER} (3 s), {@code failover-timeout}
 * {@link #DEFAULT_FAILOVER_TIMEOUT} (10 s), {@code parallel-syncs} 1. {@link Builder#start()} returns once
 * the setup can fail over: the master answers {@code PING}, every replica's link to it is up, and every
 * sentinel names the master, lists every replica as connected and knows the two other sentinels (a
 * failover needs two of the three to elect a leader). That takes a few seconds: sentinels find each
 * other through hello messages they publish every 2 s.
 *
 * <pre>{@code
 * try (RedisSentinelTopology redis = RedisSentinelTopology.builder().password("secret").start()) {
 *     String url = redis.url(); // redis-sentinel://secret@127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/0#mymaster
 *     int old = redis.killMaster();
 *     int promoted = redis.awaitFailover(old, Duration.ofSeconds(60));
 *     redis.restart(old);
 *     redis.awaitReplica(old, Duration.ofSeconds(60));
 * }
 * }</pre>
 *
 * <p>Choosing {@code down-after}: a sentinel calls the master down after it has not answered a
 * {@code PING} for that long, and two sentinels agreeing start a failover, which then takes about
 * 1.3 s more here (failover 4.3 s after a SIGKILL with 3 s, 2.3 s with 1 s). Shorter makes a failover
 * test quicker, but a master that stalls that long fails over by mistake. CPU load alone hardly
 * stalls it: with eight busy loops on this 2-core machine for 60 s and {@code down-after} 500 ms, no
 * sentinel saw the master down and its {@code PING} took at most 26 ms. What does stall it is a
 * {@code DEBUG SLEEP}, a long script, a stopped (SIGSTOP) or swapped-out process; 3 s leaves room
 * for those short of a deliberate outage. Independently of it, a sentinel whose own timer was held
 * up for more than 2 s enters TILT mode and acts on nothing for 30 s, so give {@link #awaitFailover}
 * a deadline of a minute, not of a few seconds.
 *
 * <p>Data nodes run without persistence, like every {@link RedisServer}: a killed node comes back
 * empty, and if it came back as master before the failover its replicas would copy its empty data
 * set. Restart a killed master only after {@link #awaitFailover}.
 *
 * <p>Not thread-safe: one test drives one topology. {@link #close()} is idempotent and may be called
 * from any thread.
 */
public final class RedisSentinelTopology implements AutoCloseable {
    /** The master name sentinels monitor unless {@link Builder#masterName} says otherwise. */
    public static final String DEFAULT_MASTER_NAME = "mymaster";
    /** How long a master must not answer before a sentinel calls it down, unless set otherwise. */
    public static final Duration DEFAULT_DOWN_AFTER = Duration.ofSeconds(3);
    /** Sentinel's {@code failover-timeout} unless set otherwise; a failed failover is retried after twice this. */
    public static final Duration DEFAULT_FAILOVER_TIMEOUT = Duration.ofSeconds(10);
    /** How long {@link Builder#start()} waits for each step: replicas in sync, sentinels aware of all. */
    public static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    private static final int SENTINELS = 3;
    private static final int QUORUM = 2;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern PASSWORD = Pattern.compile("[A-Za-z0-9._~-]+");

    private final String masterName;
    private final String password; // null: none
    private final Path directory; // the sentinels' config files, which they rewrite
    private final List<RedisServer> nodes = new ArrayList<>(); // the first was started as master
    private final List<RedisServer> sentinels = new ArrayList<>();
    private boolean closed; // guarded by this

    private RedisSentinelTopology(String masterName, String password, Path directory) {
        this.masterName = masterName;
        this.password = password;
        this.directory = directory;
    }

    /** @return a builder with the defaults listed on this class */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts a topology with the defaults listed on this class.
     *
     * @return the running topology; close it to stop every process
     */
    public static RedisSentinelTopology start() {
        return builder().start();
    }

    /**
     * The URL a client such as Lettuce connects through: the sentinels in start order, database 0 and
     * the master name. The password, if any, is the data nodes' (Lettuce 7.7 sends it to the master and
     * the replicas, not to the sentinels, which have none here). Lettuce asks the sentinels in order
     * and skips one that refuses the connection; one that accepts but does not answer holds it up for
     * the sentinel URIs' timeout, which only a {@code ?timeout=} in the URL (before the {@code #}) sets:
     * {@code RedisURI.setTimeout} after parsing does not reach them (their default is 60 s).
     *
     * @return {@code redis-sentinel://[password@]127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/0#masterName}
     */
    public String url() {
        return url(password);
    }

    /** @return the name the sentinels monitor the master under */
    public String masterName() {
        return masterName;
    }

    /**
     * Asks the first sentinel that answers which node is master now ({@code SENTINEL
     * get-master-addr-by-name}). During a failover sentinels may disagree; see {@link #awaitFailover}.
     *
     * @return the current master's port
     * @throws IllegalStateException if no running sentinel answers, or one names an unknown node
     */
    public int masterPort() {
        List<String> answers = new ArrayList<>();
        for (RedisServer sentinel : sentinels) {
            if (!sentinel.isRunning()) {
                continue;
            }
            try {
                int port = RedisReplies.masterPort(namedMaster(sentinel));
                if (nodes.stream().anyMatch(n -> n.port() == port)) {
                    return port;
                }
                answers.add(sentinel.port() + " names " + (port < 0 ? "none" : "unknown node " + port));
            } catch (UncheckedIOException | IllegalStateException e) {
                answers.add(sentinel.port() + ": " + e.getMessage());
            }
        }
        throw new IllegalStateException("no running sentinel named a master " + masterName + " among nodes "
                + ports(nodes) + "; answers: " + answers);
    }

    /** @return the node {@link #masterPort()} names */
    public RedisServer master() {
        return node(masterPort());
    }

    /** @return the nodes other than {@link #master()}, running or not, in start order */
    public List<RedisServer> replicas() {
        int master = masterPort();
        return nodes.stream().filter(n -> n.port() != master).collect(Collectors.toUnmodifiableList());
    }

    /** @return every data node, running or not, in start order; the first was started as master */
    public List<RedisServer> nodes() {
        return List.copyOf(nodes);
    }

    /**
     * Finds a data node by port.
     *
     * @param port a data node's port
     * @return that node
     * @throws IllegalArgumentException if no data node has that port
     */
    public RedisServer node(int port) {
        return nodes.stream().filter(n -> n.port() == port).findFirst().orElseThrow(() ->
                new IllegalArgumentException("no data node on port " + port + "; nodes: " + ports(nodes)));
    }

    /**
     * The sentinel processes, in the order of {@link #url()}. A test may {@link RedisServer#kill()} and
     * {@link RedisServer#restart()} them; a restarted sentinel reads back the config it rewrote, so it
     * knows the current master and the other sentinels.
     *
     * @return the sentinels
     */
    public List<RedisServer> sentinels() {
        return List.copyOf(sentinels);
    }

    /** @return the sentinels' ports, in the order of {@link #url()} */
    public List<Integer> sentinelPorts() {
        return sentinels.stream().map(RedisServer::port).collect(Collectors.toUnmodifiableList());
    }

    /**
     * Sends one command to a data node or sentinel over a fresh connection, authenticating first on a
     * data node when there is a password.
     *
     * @param port a data node's or sentinel's port
     * @param args the command and its arguments, e.g. {@code "SET", "k", "v"}
     * @return the decoded reply (see {@link RedisResp#call})
     * @throws IllegalStateException with the server's message for an error reply
     * @throws UncheckedIOException if the connection fails
     */
    public Object command(int port, String... args) {
        try (RedisResp client = RedisResp.connect(port, Duration.ofSeconds(2))) {
            if (password != null && nodes.stream().anyMatch(n -> n.port() == port)) {
                client.call("AUTH", password);
            }
            return client.call(args);
        }
    }

    /**
     * Kills the current master with SIGKILL, like a crash, and waits until the process has exited.
     *
     * @return its port, for {@link #awaitFailover} and {@link #restart}
     */
    public int killMaster() {
        RedisServer master = master();
        master.kill();
        return master.port();
    }

    /**
     * Waits until every running sentinel names the same master other than {@code oldMasterPort}, and
     * that node reports {@code role:master}. Give it a minute: detection takes {@code down-after}, the
     * failover one to three seconds more, a failed election a retry after twice {@code
     * failover-timeout}, and a sentinel in TILT mode 30 s.
     *
     * @param oldMasterPort the port of the master that was killed or demoted
     * @param timeout how long to wait
     * @return the new master's port
     * @throws IllegalStateException on timeout, with each sentinel's answer
     */
    public int awaitFailover(int oldMasterPort, Duration timeout) {
        return Polls.await("failover of " + masterName + " away from 127.0.0.1:" + oldMasterPort, timeout, () -> {
            Set<Integer> named = new TreeSet<>();
            List<String> answers = new ArrayList<>();
            for (RedisServer sentinel : sentinels) {
                if (sentinel.isRunning()) {
                    int port = RedisReplies.masterPort(namedMaster(sentinel));
                    named.add(port);
                    answers.add("sentinel " + sentinel.port() + " names " + port);
                }
            }
            if (named.size() != 1 || named.contains(oldMasterPort)) {
                return Check.notYet(answers.isEmpty() ? "no sentinel running" : String.join(", ", answers));
            }
            int candidate = named.iterator().next();
            String role = info(candidate).get("role");
            return "master".equals(role) ? Check.done(candidate)
                    : Check.notYet("all name " + candidate + ", which reports role:" + role);
        });
    }

    /**
     * Asks a sentinel for a manual failover ({@code SENTINEL FAILOVER}, no agreement needed) and waits
     * for it as {@link #awaitFailover} does. First it waits until every running replica is settled as
     * {@link #awaitReplica} defines it: a sentinel that still believes a replica reports {@code
     * role:master} would turn the promoted replica back into a replica, and the failover would abort.
     * A refusal while no replica qualifies yet ({@code NOGOOD}) or another failover runs ({@code
     * INPROG}) is retried until the deadline.
     *
     * <p>The old master stays up and keeps its clients and {@code role:master} for about 10 s after the
     * sentinels have switched (their {@code +convert-to-slave} waits 8 s); writes it takes meanwhile
     * are lost when it then copies the new master.
     *
     * @param timeout how long to wait in all
     * @return the new master's port
     * @throws IllegalStateException if no replica is running, or on timeout, with the last refusal or
     *     each sentinel's answer
     */
    public int failover(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int old = masterPort();
        List<RedisServer> running = nodes.stream().filter(n -> n.port() != old && n.isRunning()).toList();
        if (running.isEmpty()) {
            throw new IllegalStateException("no running replica of " + masterName + " to promote; master " + old
                    + ", nodes " + ports(nodes));
        }
        for (RedisServer replica : running) {
            awaitReplica(replica.port(), remaining(deadline));
        }
        Polls.await("a sentinel accepting SENTINEL FAILOVER " + masterName, remaining(deadline), () -> {
            RedisServer sentinel = sentinels.stream().filter(RedisServer::isRunning).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no sentinel running"));
            return Check.done(command(sentinel.port(), "SENTINEL", "FAILOVER", masterName));
        });
        return awaitFailover(old, remaining(deadline));
    }

    /**
     * Starts a killed data node again on its port with its original arguments (killing it first if it
     * runs). A node started as master comes back as an empty master, since nothing rewrote its
     * arguments: sentinels see it report {@code role:master} while they list it as a replica, and once
     * it has been up 8 s (about 10 s here) send it {@code REPLICAOF} the current master and kill its
     * client connections ({@code +convert-to-slave}). Until then it accepts writes that will be lost.
     * A node started as replica comes back replicating its first master, and sentinels point it at the
     * current one. Use {@link #awaitReplica} to wait for either. Restart a killed master only after
     * {@link #awaitFailover}, or it would be master again, empty.
     *
     * @param port the node's port
     * @throws IllegalStateException if it does not answer {@code PING} within {@link RedisServer#STARTUP_TIMEOUT}
     */
    public void restart(int port) {
        node(port).restart();
    }

    /**
     * Waits until the node on {@code port} is a settled replica: it replicates the master the sentinels
     * name with its link up ({@code master_link_status:up}, so it holds the master's data as of its
     * full sync), and every running sentinel lists it as a connected replica of that master that
     * reports {@code role:slave}. Sentinels refresh a replica's {@code INFO} only every 10 s, so the
     * second part can lag the first by that much: a restarted master settles 10 to 20 s after {@link
     * #restart}.
     *
     * @param port a data node's port
     * @param timeout how long to wait
     * @throws IllegalStateException on timeout, with what the node or a sentinel reported last
     */
    public void awaitReplica(int port, Duration timeout) {
        Polls.await("127.0.0.1:" + port + " settled as a replica of " + masterName, timeout, () -> {
            int master = masterPort();
            Check<Boolean> link = awaitLink(port, master);
            if (link.value().isEmpty()) {
                return link;
            }
            for (RedisServer sentinel : sentinels) {
                if (sentinel.isRunning() && !settledReplicas(sentinel, master).contains(port)) {
                    return Check.notYet("sentinel " + sentinel.port() + " lists it as " + listed(sentinel, port));
                }
            }
            return Check.done(true);
        });
    }

    /** Stops the sentinels, then the data nodes, by pid (SIGTERM, SIGKILL after 5 s); idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        sentinels.forEach(RedisServer::close); // first, so no failover starts while the nodes stop
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).close();
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temporary directory is harmless
        }
    }

    @Override
    public String toString() {
        return "RedisSentinelTopology[" + url(password == null ? null : "***") + ", nodes "
                + nodes.stream().map(n -> Integer.toString(n.port())).collect(Collectors.joining(",")) + "]";
    }

    private void launch(int replicas, Duration downAfter, Duration failoverTimeout) throws IOException {
        RedisServer master = RedisServer.start(dataNodeArgs(null));
        nodes.add(master);
        for (int i = 0; i < replicas; i++) {
            nodes.add(RedisServer.start(dataNodeArgs(master)));
        }
        for (RedisServer replica : nodes.subList(1, nodes.size())) {
            Polls.await("replica 127.0.0.1:" + replica.port() + " in sync", STARTUP_TIMEOUT,
                    () -> awaitLink(replica.port(), master.port()));
        }
        String config = String.join("\n",
                "sentinel resolve-hostnames no",
                "sentinel monitor " + masterName + " 127.0.0.1 " + master.port() + " " + QUORUM,
                "sentinel down-after-milliseconds " + masterName + " " + downAfter.toMillis(),
                "sentinel failover-timeout " + masterName + " " + failoverTimeout.toMillis(),
                "sentinel parallel-syncs " + masterName + " 1",
                password == null ? "" : "sentinel auth-pass " + masterName + " " + password, "");
        for (int i = 1; i <= SENTINELS; i++) {
            Path file = Files.writeString(directory.resolve("sentinel-" + i + ".conf"), config, StandardCharsets.UTF_8);
            sentinels.add(RedisServer.startWithConfig(file, "--sentinel"));
        }
        for (RedisServer sentinel : sentinels) {
            try {
                Polls.await("sentinel 127.0.0.1:" + sentinel.port() + " aware of the whole topology", STARTUP_TIMEOUT,
                        () -> awaitAware(sentinel, master.port()));
            } catch (IllegalStateException e) {
                throw new IllegalStateException(e.getMessage() + "; its log:\n" + sentinel.logTail(), e);
            }
        }
    }

    private String[] dataNodeArgs(RedisServer master) {
        List<String> args = new ArrayList<>(List.of("--repl-diskless-sync-delay", "0")); // default: 5 s for more replicas
        if (password != null) {
            args.addAll(List.of("--requirepass", password, "--masterauth", password));
        }
        if (master != null) {
            args.addAll(List.of("--replicaof", "127.0.0.1", Integer.toString(master.port())));
        }
        return args.toArray(String[]::new);
    }

    private Check<Boolean> awaitLink(int port, int masterPort) {
        Map<String, String> info = info(port);
        boolean linked = "slave".equals(info.get("role")) && Integer.toString(masterPort).equals(info.get("master_port"))
                && "up".equals(info.get("master_link_status"));
        return linked ? Check.done(true) : Check.notYet("role:" + info.get("role") + " master_port:"
                + info.get("master_port") + " master_link_status:" + info.get("master_link_status"));
    }

    private Check<Boolean> awaitAware(RedisServer sentinel, int masterPort) {
        int named = RedisReplies.masterPort(namedMaster(sentinel));
        Set<Integer> replicas = settledReplicas(sentinel, masterPort);
        Set<Integer> others = RedisReplies.instances(command(sentinel.port(), "SENTINEL", "SENTINELS", masterName))
                .stream().filter(i -> "sentinel".equals(i.get("flags"))) // not s_down, not disconnected
                .map(i -> Integer.parseInt(i.get("port"))).collect(Collectors.toCollection(TreeSet::new));
        Set<Integer> expectedReplicas = ports(nodes.subList(1, nodes.size()));
        Set<Integer> expectedOthers = ports(sentinels);
        expectedOthers.remove(sentinel.port());
        if (named == masterPort && replicas.equals(expectedReplicas) && others.equals(expectedOthers)) {
            return Check.done(true);
        }
        return Check.notYet("master " + named + " (want " + masterPort + "), connected replicas " + replicas + " (want "
                + expectedReplicas + "), other sentinels " + others + " (want " + expectedOthers + ")");
    }

    private Object namedMaster(RedisServer sentinel) {
        return command(sentinel.port(), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName);
    }

    private Map<String, String> info(int port) {
        return RedisReplies.infoFields(command(port, "INFO", "REPLICATION"));
    }

    /**
     * The replicas {@code sentinel} lists as connected (flags exactly {@code slave}: not down, not
     * disconnected), reporting {@code role:slave} and an up link to {@code masterPort}.
     */
    private Set<Integer> settledReplicas(RedisServer sentinel, int masterPort) {
        return RedisReplies.instances(command(sentinel.port(), "SENTINEL", "REPLICAS", masterName)).stream()
                .filter(i -> "slave".equals(i.get("flags")) && "slave".equals(i.get("role-reported"))
                        && Integer.toString(masterPort).equals(i.get("master-port"))
                        && "ok".equals(i.get("master-link-status")))
                .map(i -> Integer.parseInt(i.get("port"))).collect(Collectors.toCollection(TreeSet::new));
    }

    private String listed(RedisServer sentinel, int port) {
        return RedisReplies.instances(command(sentinel.port(), "SENTINEL", "REPLICAS", masterName)).stream()
                .filter(i -> Integer.toString(port).equals(i.get("port")))
                .map(i -> "flags:" + i.get("flags") + " role-reported:" + i.get("role-reported") + " master-port:"
                        + i.get("master-port") + " master-link-status:" + i.get("master-link-status"))
                .findFirst().orElse("nothing (not listed)");
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    private static Set<Integer> ports(List<RedisServer> servers) {
        return servers.stream().map(RedisServer::port).collect(Collectors.toCollection(TreeSet::new));
    }

    private String url(String shownPassword) {
        return "redis-sentinel://" + (shownPassword == null ? "" : shownPassword + "@")
                + sentinels.stream().map(s -> "127.0.0.1:" + s.port()).collect(Collectors.joining(","))
                + "/0#" + masterName;
    }

    /**
     * Options of a {@link RedisSentinelTopology}. Each setter validates at once and may be called once.
     */
    public static final class Builder {
        private String masterName;
        private Integer replicas;
        private String password;
        private Duration downAfter;
        private Duration failoverTimeout;

        private Builder() {}

        /**
         * @param name the master name, letters, digits and {@code . _ -}; default {@value RedisSentinelTopology#DEFAULT_MASTER_NAME}
         * @return this builder
         */
        public Builder masterName(String name) {
            requireUnset(masterName, "masterName");
            if (name == null || !NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("masterName must be letters, digits and . _ - (it goes into a URL"
                        + " fragment and a config line), got \"" + name + "\"");
            }
            masterName = name;
            return this;
        }

        /**
         * @param count how many replicas, 0 to 8; default 1. With 0 nothing can be promoted.
         * @return this builder
         */
        public Builder replicas(int count) {
            requireUnset(replicas, "replicas");
            if (count < 0 || count > 8) {
                throw new IllegalArgumentException("replicas must be 0 to 8, got " + count);
            }
            replicas = count;
            return this;
        }

        /**
         * Sets {@code requirepass} and {@code masterauth} on every data node and {@code auth-pass} on the
         * sentinels, which themselves need none. Default: no password.
         *
         * @param password letters, digits and {@code . _ ~ -}, so that it needs no escaping in a URL
         * @return this builder
         */
        public Builder password(String password) {
            requireUnset(this.password, "password");
            if (password == null || !PASSWORD.matcher(password).matches()) {
                throw new IllegalArgumentException("password must be 1 or more letters, digits and . _ ~ - (it goes"
                        + " into a URL unescaped), got " + (password == null ? "null" : password.length() + " characters"));
            }
            this.password = password;
            return this;
        }

        /**
         * @param downAfter how long a master must not answer before a sentinel calls it down, whole
         *     milliseconds, at least 100 ms; default {@link RedisSentinelTopology#DEFAULT_DOWN_AFTER}; see the class notes
         * @return this builder
         */
        public Builder downAfter(Duration downAfter) {
            requireUnset(this.downAfter, "downAfter");
            this.downAfter = wholeMillis("downAfter", downAfter, Duration.ofMillis(100));
            return this;
        }

        /**
         * @param failoverTimeout Sentinel's {@code failover-timeout}, whole milliseconds, at least 1 s;
         *     default {@link RedisSentinelTopology#DEFAULT_FAILOVER_TIMEOUT}
         * @return this builder
         */
        public Builder failoverTimeout(Duration failoverTimeout) {
            requireUnset(this.failoverTimeout, "failoverTimeout");
            this.failoverTimeout = wholeMillis("failoverTimeout", failoverTimeout, Duration.ofSeconds(1));
            return this;
        }

        /**
         * Starts the master, the replicas and the sentinels, and waits until a failover could run (see
         * the class notes). Skips the calling test when {@code redis-server} is missing, or fails it when
         * {@code CI} is set.
         *
         * @return the running topology; close it to stop every process
         * @throws IllegalStateException if a step does not complete within {@link RedisSentinelTopology#STARTUP_TIMEOUT};
         *     everything started is stopped first
         */
        public RedisSentinelTopology start() {
            RedisServer.assumeInstalled();
            RedisSentinelTopology topology;
            try {
                topology = new RedisSentinelTopology(masterName == null ? DEFAULT_MASTER_NAME : masterName, password,
                        Files.createTempDirectory("airouter-sentinel-"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a directory for the sentinels' config files", e);
            }
            try {
                topology.launch(replicas == null ? 1 : replicas, downAfter == null ? DEFAULT_DOWN_AFTER : downAfter,
                        failoverTimeout == null ? DEFAULT_FAILOVER_TIMEOUT : failoverTimeout);
                return topology;
            } catch (IOException e) {
                topology.close();
                throw new UncheckedIOException("cannot write a sentinel config file", e);
            } catch (RuntimeException | Error e) {
                topology.close();
                throw e;
            }
        }

        private static void requireUnset(Object value, String option) {
            if (value != null) {
                throw new IllegalStateException(option + " was already set to " + ("password".equals(option) ? "***" : value));
            }
        }

        private static Duration wholeMillis(String option, Duration value, Duration minimum) {
            if (value == null || value.compareTo(minimum) < 0 || value.toNanos() % 1_000_000 != 0) {
                throw new IllegalArgumentException(option + " must be whole milliseconds, at least " + minimum.toMillis()
                        + " ms, got " + value);
            }
            return value;
        }
    }
}
