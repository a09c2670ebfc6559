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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Redis Cluster on loopback for tests and benchmarks: some masters, each with some replicas,
 * every node a {@code redis-server} child process ({@link RedisServer}) with {@code cluster-enabled
 * yes}, joined by {@code redis-cli --cluster create}.
 *
 * <p>Defaults: 3 masters, 1 replica per master, no password, {@code cluster-node-timeout} {@link
 * #DEFAULT_NODE_TIMEOUT} (3 s). Each node keeps its cluster config file ({@code nodes.conf}) in its own
 * temporary directory, so a restarted node comes back with its node id; and it gets its cluster-bus
 * port from {@code cluster-port}, a second free port, instead of the default port + 10000, which for
 * an ephemeral port is often above 65535 or taken. {@link Builder#start()} returns once the cluster is
 * usable: every node reports {@code cluster_state:ok} with all {@value #SLOTS} slots assigned and
 * served and knows every other node, and every replica's link to its master is up. That takes 2 to 4
 * s here, most of it {@code redis-cli}'s one-second polls while the nodes meet.
 *
 * <pre>{@code
 * try (RedisClusterTopology redis = RedisClusterTopology.builder().password("secret").start()) {
 *     String url = redis.url(); // redis-cluster://secret@127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3
 *     int old = redis.killMasterOf("{user:1}");
 *     int promoted = redis.awaitFailover(old, Duration.ofSeconds(30));
 *     redis.restart(old);
 *     redis.awaitReplica(old, Duration.ofSeconds(30)); // now a replica of the promoted node
 * }
 * }</pre>
 *
 * <p>Choosing the node timeout: a node flags a peer {@code PFAIL} once it has not answered a cluster
 * ping for that long; when a majority of masters have said so (gossip, well under a second here) it
 * becomes {@code FAIL}, and one of its replicas asks for votes after 0.5 to 1 s (plus 1 s per rank of
 * replication lag) and takes over. So a failover after a SIGKILL takes about the node timeout plus 1
 * to 2 s (see {@code RedisClusterTopologyTest} for figures). Shorter makes failover tests quicker, but
 * a node that stalls that long ({@code DEBUG SLEEP}, a long script, SIGSTOP, swapping) is failed over
 * by mistake, and a master cut off from the majority for that long stops taking writes. The timeout
 * also bounds how stale a replica may be and still be promoted (ten times the timeout by default).
 *
 * <p>Nodes run without persistence, like every {@link RedisServer}: a killed node comes back empty,
 * but with its cluster config. A killed master restarted before its failover would claim its slots
 * again, empty. Restart it after {@link #awaitFailover}; it then learns it lost its slots and becomes a
 * replica of the promoted node.
 *
 * <p>Not thread-safe: one test drives one topology. {@link #close()} is idempotent and may be called
 * from any thread.
 */
public final class RedisClusterTopology implements AutoCloseable {
    /** How many hash slots a Redis Cluster has. */
    public static final int SLOTS = 16384;
    /** The {@code cluster-node-timeout} unless {@link Builder#nodeTimeout} says otherwise. */
    public static final Duration DEFAULT_NODE_TIMEOUT = Duration.ofSeconds(3);
    /** How long {@link Builder#start()} waits for {@code redis-cli --cluster create}, then for the cluster to settle. */
    public static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    private static final String CLI = "redis-cli";
    private static final Pattern PASSWORD = Pattern.compile("[A-Za-z0-9._~-]+");

    private final String password; // null: none
    private final Path directory; // redis-cli's output
    private final List<RedisServer> nodes = new ArrayList<>(); // in start order; the first ones became masters
    private final List<Integer> seeds = new ArrayList<>(); // the masters right after creation
    private final Map<Integer, Integer> knownSlot = new HashMap<>(); // master port -> a slot it served when last seen
    private boolean closed; // guarded by this

    private RedisClusterTopology(String password, Path directory) {
        this.password = password;
        this.directory = directory;
    }

    /** @return a builder with the defaults listed on this class */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts a cluster with the defaults listed on this class.
     *
     * @return the running cluster; close it to stop every process
     */
    public static RedisClusterTopology start() {
        return builder().start();
    }

    /**
     * The URL of the cluster as seed nodes: the masters as they were right after creation, in start
     * order. It does not change after a failover; a client discovers the current topology from any
     * seed that answers.
     *
     * @return {@code redis-cluster://[password@]127.0.0.1:P1,127.0.0.1:P2,...}
     */
    public String url() {
        return url(password);
    }

    /** @return every node, running or not, in start order */
    public List<RedisServer> nodes() {
        return List.copyOf(nodes);
    }

    /**
     * Finds a node by port.
     *
     * @param port a node's port
     * @return that node
     * @throws IllegalArgumentException if no node has that port
     */
    public RedisServer node(int port) {
        return nodes.stream().filter(n -> n.port() == port).findFirst().orElseThrow(() ->
                new IllegalArgumentException("no cluster node on port " + port + "; nodes: " + ports(nodes)));
    }

    /**
     * The nodes that serve slots now, as the first running node sees them ({@code CLUSTER NODES}). A
     * master killed but not yet failed over is among them; after its failover it is not.
     *
     * @return those nodes, in start order
     * @throws IllegalStateException if no node is running
     */
    public List<RedisServer> masters() {
        Set<Integer> ports = view(anyRunning()).stream().filter(n -> n.isMaster() && !n.slots().isEmpty())
                .map(ClusterNode::port).collect(Collectors.toSet());
        return nodes.stream().filter(n -> ports.contains(n.port())).toList();
    }

    /**
     * The nodes flagged replica now, running or not, as the first running node sees them ({@code
     * CLUSTER NODES}).
     *
     * @return those nodes, in start order
     * @throws IllegalStateException if no node is running
     */
    public List<RedisServer> replicas() {
        Set<Integer> ports = view(anyRunning()).stream().filter(ClusterNode::isReplica)
                .map(ClusterNode::port).collect(Collectors.toSet());
        return nodes.stream().filter(n -> ports.contains(n.port())).toList();
    }

    /**
     * Finds the master serving a key: the slot from {@code CLUSTER KEYSLOT} (so hash tags count), its
     * owner from {@code CLUSTER NODES}, both asked of the first running node.
     *
     * @param key the key, e.g. {@code "{user:1}:history"}
     * @return the port of the master serving its slot
     * @throws IllegalStateException if no node is running or no master serves the slot
     */
    public int masterForKey(String key) {
        int port = anyRunning();
        int slot = Math.toIntExact((Long) command(port, "CLUSTER", "KEYSLOT", key));
        return view(port).stream().filter(n -> n.isMaster() && n.serves(slot)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no master serves slot " + slot + " of key " + key
                        + " as 127.0.0.1:" + port + " sees it")).port();
    }

    /**
     * Sends one command to a node over a fresh connection, authenticating first when there is a
     * password. The node answers {@code MOVED} for a key in a slot it does not serve.
     *
     * @param port a node's port
     * @param args the command and its arguments, e.g. {@code "SET", "k", "v"}
     * @return the decoded reply (see {@link RedisResp#call})
     * @throws IllegalStateException with the server's message for an error reply
     * @throws UncheckedIOException if the connection fails
     */
    public Object command(int port, String... args) {
        try (RedisResp client = RedisResp.connect(port, Duration.ofSeconds(2))) {
            if (password != null) {
                client.call("AUTH", password);
            }
            return client.call(args);
        }
    }

    /**
     * Kills a master with SIGKILL, like a crash, and waits until the process has exited.
     *
     * @param port the master's port
     * @return {@code port}, for {@link #awaitFailover} and {@link #restart}
     * @throws IllegalArgumentException if that node is not a master serving slots now
     */
    public int killMaster(int port) {
        ClusterNode master = view(anyRunning()).stream().filter(n -> n.port() == port && n.isMaster()
                && !n.slots().isEmpty()).findFirst().orElseThrow(() -> new IllegalArgumentException(
                        "127.0.0.1:" + port + " is not a master serving slots; masters: " + ports(masters())));
        knownSlot.put(port, master.firstSlot());
        node(port).kill();
        return port;
    }

    /**
     * Kills the master serving a key with SIGKILL, like {@link #killMaster(int)}.
     *
     * @param key the key, e.g. {@code "{user:1}:history"}
     * @return the killed master's port
     */
    public int killMasterOf(String key) {
        return killMaster(masterForKey(key));
    }

    /**
     * Waits until another node serves the slots {@code oldMasterPort} served, is master, and every
     * running node agrees on that and reports {@code cluster_state:ok}. After a SIGKILL that takes about
     * the node timeout plus 1 to 2 s (see the class notes).
     *
     * @param oldMasterPort the port of the master that was killed or demoted
     * @param timeout how long to wait
     * @return the new master's port
     * @throws IllegalArgumentException if {@code oldMasterPort} was never seen serving slots
     * @throws IllegalStateException on timeout, with what a node reported last
     */
    public int awaitFailover(int oldMasterPort, Duration timeout) {
        return awaitTakeover(oldMasterPort, referenceSlot(oldMasterPort), -1, timeout);
    }

    /**
     * Asks a replica for a manual failover ({@code CLUSTER FAILOVER}: its master stops clients, the
     * replica catches up and takes over without an election delay, the old master becomes its replica),
     * and waits for it as {@link #awaitFailover} does. First it waits until the replica is settled as
     * {@link #awaitReplica} defines it.
     *
     * @param replicaPort a replica's port
     * @param timeout how long to wait in all
     * @return {@code replicaPort}, now a master
     * @throws IllegalStateException on timeout, with the last refusal or what a node reported last
     */
    public int failover(int replicaPort, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int master = awaitReplica(replicaPort, timeout);
        int slot = referenceSlot(master);
        Polls.await("127.0.0.1:" + replicaPort + " accepting CLUSTER FAILOVER", remaining(deadline),
                () -> Check.done(command(replicaPort, "CLUSTER", "FAILOVER")));
        return awaitTakeover(master, slot, replicaPort, remaining(deadline));
    }

    /**
     * Starts a killed node again on its port with its original arguments and its cluster config file
     * (killing it first if it runs); it comes back empty but with its node id and rejoins the cluster.
     * A failed-over master learns it lost its slots and becomes a replica of the node that took them;
     * use {@link #awaitReplica} to wait for that.
     *
     * @param port the node's port
     * @throws IllegalStateException if it does not answer {@code PING} within {@link RedisServer#STARTUP_TIMEOUT}
     */
    public void restart(int port) {
        node(port).restart();
    }

    /**
     * Waits until the node on {@code port} is a settled replica: it reports {@code role:slave} with
     * {@code master_link_status:up} (so it holds its master's data as of its full sync) and {@code
     * cluster_state:ok}, and every running node lists it as a replica of that master, which serves slots.
     *
     * @param port a node's port
     * @param timeout how long to wait
     * @return the port of its master
     * @throws IllegalStateException on timeout, with what a node reported last
     */
    public int awaitReplica(int port, Duration timeout) {
        return Polls.await("127.0.0.1:" + port + " settled as a replica", timeout, () -> {
            Map<String, String> info = RedisReplies.infoFields(command(port, "INFO", "REPLICATION"));
            if (!"slave".equals(info.get("role")) || !"up".equals(info.get("master_link_status"))) {
                return Check.notYet("role:" + info.get("role") + " master_link_status:" + info.get("master_link_status"));
            }
            int master = Integer.parseInt(info.get("master_port"));
            String state = clusterInfo(port).get("cluster_state");
            if (!"ok".equals(state)) {
                return Check.notYet("cluster_state:" + state);
            }
            for (RedisServer node : nodes) {
                if (node.isRunning()) {
                    List<ClusterNode> view = view(node.port());
                    ClusterNode self = find(view, port);
                    ClusterNode itsMaster = find(view, master);
                    if (self == null || itsMaster == null || !self.isReplica() || self.isFailed()
                            || !self.masterId().equals(itsMaster.id()) || itsMaster.slots().isEmpty()) {
                        return Check.notYet("127.0.0.1:" + node.port() + " lists it as " + describe(self)
                                + " and its master " + master + " as " + describe(itsMaster));
                    }
                }
            }
            return Check.done(master);
        });
    }

    /**
     * Leaves slots {@code first} to {@code last} unassigned on every running node ({@code CLUSTER
     * DELSLOTSRANGE}), so the cluster reports {@code cluster_state:fail} and refuses commands
     * ({@code CLUSTERDOWN}), and waits until every running node says so. The data in those slots stays
     * on its master, unserved. To serve them again, {@code CLUSTER ADDSLOTSRANGE} them on one master
     * with {@link #command}; the others learn it through gossip.
     *
     * @param first the first slot, 0 to {@value #SLOTS} - 1
     * @param last the last slot, {@code first} to {@value #SLOTS} - 1
     * @throws IllegalArgumentException if the range is not within the slots
     * @throws IllegalStateException if a node does not report {@code cluster_state:fail} within 10 s
     */
    public void uncoverSlots(int first, int last) {
        if (first < 0 || last < first || last >= SLOTS) {
            throw new IllegalArgumentException("slots must satisfy 0 <= first <= last < " + SLOTS + ", got "
                    + first + " to " + last);
        }
        List<RedisServer> running = nodes.stream().filter(RedisServer::isRunning).toList();
        for (RedisServer node : running) {
            command(node.port(), "CLUSTER", "DELSLOTSRANGE", Integer.toString(first), Integer.toString(last));
        }
        for (RedisServer node : running) {
            Polls.await("cluster_state:fail on 127.0.0.1:" + node.port(), Duration.ofSeconds(10), () -> {
                String state = clusterInfo(node.port()).get("cluster_state");
                return "fail".equals(state) ? Check.done(true) : Check.notYet("cluster_state:" + state);
            });
        }
    }

    /** Stops every node by pid (SIGTERM, SIGKILL after 5 s) and deletes the temporary directories; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
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
        return "RedisClusterTopology[" + url(password == null ? null : "***") + ", nodes "
                + nodes.stream().map(n -> Integer.toString(n.port())).collect(Collectors.joining(",")) + "]";
    }

    private void launch(int masters, int replicas, Duration nodeTimeout) {
        for (int i = 0; i < masters * (1 + replicas); i++) {
            nodes.add(RedisServer.start(() -> nodeArgs(nodeTimeout)));
        }
        List<String> create = new ArrayList<>(List.of(CLI, "--cluster", "create"));
        nodes.forEach(n -> create.add("127.0.0.1:" + n.port()));
        create.addAll(List.of("--cluster-replicas", Integer.toString(replicas), "--cluster-yes"));
        runCli(create);
        for (RedisServer node : nodes) {
            Polls.await("127.0.0.1:" + node.port() + " in a settled cluster", STARTUP_TIMEOUT,
                    () -> settled(node.port(), masters, replicas));
        }
        for (ClusterNode master : view(nodes.get(0).port())) {
            if (master.isMaster()) {
                knownSlot.put(master.port(), master.firstSlot());
            }
        }
        nodes.stream().map(RedisServer::port).filter(knownSlot::containsKey).forEach(seeds::add);
    }

    private List<String> nodeArgs(Duration nodeTimeout) {
        List<String> args = new ArrayList<>(List.of("--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf", // relative to the node's own --dir, so kept across restarts
                "--cluster-port", Integer.toString(FreePorts.next()), // port + 10000 may be > 65535 or taken
                "--cluster-node-timeout", Long.toString(nodeTimeout.toMillis()),
                "--repl-diskless-sync-delay", "0")); // default: 5 s for more replicas to join a sync
        if (password != null) {
            args.addAll(List.of("--requirepass", password, "--masterauth", password));
        }
        return args;
    }

    /** Runs redis-cli with a deadline, the password in its environment rather than on its command line. */
    private void runCli(List<String> command) {
        Path output = directory.resolve("redis-cli.log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
        if (password != null) {
            builder.environment().put("REDISCLI_AUTH", password);
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
        try {
            if (!process.waitFor(STARTUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                throw new IllegalStateException(String.join(" ", command) + " did not finish within "
                        + STARTUP_TIMEOUT.toMillis() + " ms (pid " + process.pid() + ", killed); output:\n" + tail(output));
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + String.join(" ", command), e);
        }
        String text = tail(output);
        if (process.exitValue() != 0 || !text.contains("[OK] All " + SLOTS + " slots covered")) {
            throw new IllegalStateException(String.join(" ", command) + " exited with code " + process.exitValue()
                    + " without covering all " + SLOTS + " slots; output:\n" + text);
        }
    }

    /**
     * Whether a node reports the whole cluster ok, knows every node in its role (redis-cli is done once
     * it sees the roles, which the nodes learn from one another a little later) and, if it is a
     * replica, has its link up.
     */
    private Check<Boolean> settled(int port, int masters, int replicas) {
        Map<String, String> info = clusterInfo(port);
        String want = "cluster_state:ok cluster_slots_assigned:" + SLOTS + " cluster_slots_ok:" + SLOTS
                + " cluster_known_nodes:" + nodes.size();
        String seen = "cluster_state:" + info.get("cluster_state") + " cluster_slots_assigned:"
                + info.get("cluster_slots_assigned") + " cluster_slots_ok:" + info.get("cluster_slots_ok")
                + " cluster_known_nodes:" + info.get("cluster_known_nodes");
        if (!seen.equals(want)) {
            return Check.notYet(seen + " (want " + want + ")");
        }
        List<ClusterNode> view = view(port);
        long serving = view.stream().filter(n -> n.isMaster() && !n.slots().isEmpty() && n.connected()).count();
        long replicating = view.stream().filter(n -> n.isReplica() && n.connected()
                && view.stream().anyMatch(m -> m.id().equals(n.masterId()) && !m.slots().isEmpty())).count();
        if (serving != masters || replicating != (long) masters * replicas) {
            return Check.notYet("sees " + serving + " connected masters serving slots (want " + masters + ") and "
                    + replicating + " connected replicas of them (want " + masters * replicas + ")");
        }
        Map<String, String> replication = RedisReplies.infoFields(command(port, "INFO", "REPLICATION"));
        if ("slave".equals(replication.get("role")) && !"up".equals(replication.get("master_link_status"))) {
            return Check.notYet("replica of " + replication.get("master_port") + " with master_link_status:"
                    + replication.get("master_link_status"));
        }
        return Check.done(true);
    }

    /**
     * Waits until every running node reports {@code cluster_state:ok} and names the same master other
     * than {@code oldPort} (and {@code expected}, unless -1) for {@code slot}, which reports {@code role:master}.
     */
    private int awaitTakeover(int oldPort, int slot, int expected, Duration timeout) {
        int port = Polls.await("failover of slot " + slot + " away from 127.0.0.1:" + oldPort
                + (expected < 0 ? "" : " to 127.0.0.1:" + expected), timeout, () -> {
            Set<Integer> owners = new TreeSet<>();
            for (RedisServer node : nodes) {
                if (node.isRunning()) {
                    String state = clusterInfo(node.port()).get("cluster_state");
                    if (!"ok".equals(state)) {
                        return Check.notYet("127.0.0.1:" + node.port() + " reports cluster_state:" + state);
                    }
                    owners.add(view(node.port()).stream().filter(n -> n.isMaster() && n.serves(slot))
                            .map(ClusterNode::port).findFirst().orElse(-1));
                }
            }
            if (owners.size() != 1 || owners.contains(oldPort) || owners.contains(-1)
                    || expected >= 0 && !owners.contains(expected)) {
                return Check.notYet("running nodes name " + owners + " as the master of slot " + slot);
            }
            int owner = owners.iterator().next();
            String role = RedisReplies.infoFields(command(owner, "INFO", "REPLICATION")).get("role");
            return "master".equals(role) ? Check.done(owner) : Check.notYet("all name " + owner + ", which reports role:" + role);
        });
        knownSlot.remove(oldPort);
        knownSlot.put(port, slot);
        return port;
    }

    /** A slot {@code masterPort} serves now, or served when this topology last saw it as master. */
    private int referenceSlot(int masterPort) {
        ClusterNode master = find(view(anyRunning()), masterPort);
        if (master != null && master.isMaster() && !master.slots().isEmpty()) {
            return master.firstSlot();
        }
        Integer slot = knownSlot.get(masterPort);
        if (slot == null) {
            throw new IllegalArgumentException("127.0.0.1:" + masterPort + " serves no slots and was not seen serving"
                    + " any; masters: " + ports(masters()));
        }
        return slot;
    }

    private int anyRunning() {
        return nodes.stream().filter(RedisServer::isRunning).findFirst().orElseThrow(() ->
                new IllegalStateException("no cluster node is running; nodes: " + ports(nodes))).port();
    }

    private List<ClusterNode> view(int port) {
        return ClusterNode.parse(command(port, "CLUSTER", "NODES"));
    }

    private Map<String, String> clusterInfo(int port) {
        return RedisReplies.infoFields(command(port, "CLUSTER", "INFO"));
    }

    private static ClusterNode find(List<ClusterNode> view, int port) {
        return view.stream().filter(n -> n.port() == port).findFirst().orElse(null);
    }

    private static String describe(ClusterNode node) {
        return node == null ? "unknown" : String.join(",", new TreeSet<>(node.flags())) + " of " + node.masterId();
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    private static Set<Integer> ports(List<RedisServer> servers) {
        return servers.stream().map(RedisServer::port).collect(Collectors.toCollection(TreeSet::new));
    }

    private String url(String shownPassword) {
        return "redis-cluster://" + (shownPassword == null ? "" : shownPassword + "@")
                + seeds.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    /** Options of a {@link RedisClusterTopology}. Each setter validates at once and may be called once. */
    public static final class Builder {
        private Integer masters;
        private Integer replicas;
        private String password;
        private Duration nodeTimeout;

        private Builder() {}

        /**
         * @param count how many masters, 3 to 8 (Redis Cluster needs 3); default 3. The slots are split
         *     evenly among them.
         * @return this builder
         */
        public Builder masters(int count) {
            requireUnset(masters, "masters");
            if (count < 3 || count > 8) {
                throw new IllegalArgumentException("masters must be 3 to 8, got " + count);
            }
            masters = count;
            return this;
        }

        /**
         * @param count how many replicas each master has, 0 to 4; default 1. With 0 nothing can fail over.
         * @return this builder
         */
        public Builder replicas(int count) {
            requireUnset(replicas, "replicas");
            if (count < 0 || count > 4) {
                throw new IllegalArgumentException("replicas must be 0 to 4, got " + count);
            }
            replicas = count;
            return this;
        }

        /**
         * Sets {@code requirepass} and {@code masterauth} on every node. Default: no password.
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
         * @param nodeTimeout {@code cluster-node-timeout}, whole milliseconds, at least 100 ms; default
         *     {@link RedisClusterTopology#DEFAULT_NODE_TIMEOUT}; see the class notes
         * @return this builder
         */
        public Builder nodeTimeout(Duration nodeTimeout) {
            requireUnset(this.nodeTimeout, "nodeTimeout");
            if (nodeTimeout == null || nodeTimeout.compareTo(Duration.ofMillis(100)) < 0
                    || nodeTimeout.toNanos() % 1_000_000 != 0) {
                throw new IllegalArgumentException("nodeTimeout must be whole milliseconds, at least 100 ms, got "
                        + nodeTimeout);
            }
            this.nodeTimeout = nodeTimeout;
            return this;
        }

        /**
         * Starts the nodes, joins them with {@code redis-cli --cluster create} and waits until the cluster
         * is usable (see the class notes). Skips the calling test when {@code redis-server} or {@code
         * redis-cli} is missing, or fails it when {@code CI} is set.
         *
         * @return the running cluster; close it to stop every process
         * @throws IllegalStateException if {@code redis-cli} fails, with its output, or a step does not
         *     complete within {@link RedisClusterTopology#STARTUP_TIMEOUT}; everything started is stopped first
         */
        public RedisClusterTopology start() {
            RedisServer.assumeInstalled();
            Programs.assumeInstalled(CLI, "apt-get install -y redis-tools");
            RedisClusterTopology topology;
            try {
                topology = new RedisClusterTopology(password, Files.createTempDirectory("airouter-cluster-"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a directory for redis-cli's output", e);
            }
            try {
                topology.launch(masters == null ? 3 : masters, replicas == null ? 1 : replicas,
                        nodeTimeout == null ? DEFAULT_NODE_TIMEOUT : nodeTimeout);
                return topology;
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
    }
}
