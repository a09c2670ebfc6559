package dev.airouter.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.Fixtures;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.Processes;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ProcessPool}: parallel all-or-nothing start, resize, replacement without a gap, and what a
 * failing or crashing replica does to each. Real processes (test-support's HTTP fixture, whose
 * health reports its generation); loose deadlines; the figures are in benchmarks/.
 */
@ExtendWith(NoLeftoverProcesses.class)
class ProcessPoolTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    @TempDir Path logs;
    private final List<ReplicaEvent> events = new CopyOnWriteArrayList<>();

    private ProcessConfig.Builder template(long delayMillis, String... extra) {
        return TestProcesses.pooled(logs, delayMillis, extra);
    }

    private ProcessPool pool(ProcessConfig template, int replicas) {
        ProcessPool pool = ProcessPool.create(PoolConfig.builder(template).replicas(replicas)
                .drainTimeout(Duration.ofSeconds(5)).build());
        pool.addListener(events::add);
        return pool;
    }

    private static String health(Replica r) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(r.url() + "/health")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static Set<Long> pids(List<Replica> replicas) {
        return replicas.stream().map(r -> r.status().pid().orElseThrow()).collect(Collectors.toSet());
    }

    private List<ReplicaEvent.Kind> kinds(int index, long generation) {
        return events.stream().filter(e -> e.replica().index() == index && e.replica().generation() == generation)
                .map(ReplicaEvent::kind).toList();
    }

    @Test
    void startsEveryReplicaInParallelOnAPortOfItsOwnAndAnnouncesThemWhenReady() throws Exception {
        try (ProcessPool pool = pool(template(300).build(), 3)) {
            pool.start();
            List<Replica> replicas = pool.replicas();
            assertThat(replicas).hasSize(3).allMatch(Replica::isReady);
            assertThat(replicas).extracting(Replica::index).containsExactly(0, 1, 2);
            assertThat(replicas.stream().map(Replica::port).distinct()).hasSize(3);
            for (Replica r : replicas) {
                assertThat(health(r)).contains("\"generation\": 1");
                assertThat(r.status().logFile()).isEqualTo(logs.resolve("pooled-" + r.index() + ".log"));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> kinds(2, 1).contains(ReplicaEvent.Kind.READY));
            assertThat(kinds(0, 1)).containsExactly(ReplicaEvent.Kind.ADDED, ReplicaEvent.Kind.READY);
            assertThat(Files.readString(logs.resolve("pooled-1.log"))).contains("[g1] listening on");
            pool.stop();
            assertThat(pids(replicas)).noneMatch(Processes::isAlive);
            assertThat(pool.replicas()).isEmpty();
        }
    }

    @Test
    void aReplicaFailingAtStartStopsTheOthersAndIsNamedWithItsExitCodeAndLastLines() throws Exception {
        Path counter = logs.resolve("starts");
        try (ProcessPool pool = pool(template(200, "--start-counter", counter.toString(), "--fail-start", "2").build(), 3)) {
            assertThatThrownBy(pool::start).isInstanceOfSatisfying(ReplicaStartException.class, e -> {
                assertThat(e.getMessage()).contains("1 of 3 replica(s) failed to start").contains("exited with code 3")
                        .contains("fatal: start number 2 fails").contains("the ones that started were stopped");
                assertThat(e.failures()).singleElement().isInstanceOf(ProcessExitedException.class);
                assertThat(e.serving()).isEmpty();
            });
            assertThat(pool.replicas()).isEmpty();
        }
    }

    @Test
    void resizeAddsReadyReplicasAndRetiresTheHighestAfterTheirDrain() throws Exception {
        try (ProcessPool pool = pool(template(0).build(), 1)) {
            pool.start();
            assertThat(pool.replicas()).singleElement().satisfies(r ->
                    assertThat(r.status().logFile()).isEqualTo(logs.resolve("pooled.log")));
            pool.resize(3, Drain.immediately());
            assertThat(pool.replicas()).hasSize(3).allMatch(Replica::isReady);
            Set<Long> before = pids(pool.replicas());
            List<Replica> drained = new CopyOnWriteArrayList<>();
            pool.resize(1, replica -> {
                drained.add(replica);
                return CompletableFuture.completedFuture(null);
            });
            assertThat(drained).extracting(Replica::index).containsExactlyInAnyOrder(1, 2);
            assertThat(drained).allMatch(Replica::retiring).noneMatch(Replica::isReady);
            assertThat(pool.replicas()).singleElement().extracting(Replica::index).isEqualTo(0);
            await().atMost(Duration.ofSeconds(5)).until(() -> kinds(2, 1).contains(ReplicaEvent.Kind.GONE));
            assertThat(kinds(2, 1)).containsSubsequence(ReplicaEvent.Kind.READY, ReplicaEvent.Kind.RETIRING,
                    ReplicaEvent.Kind.GONE);
            assertThat(before.stream().filter(Processes::isAlive)).hasSize(1);
            assertThat(pool.generation()).isEqualTo(1);
        }
    }

    @Test
    void replaceBringsInANewGenerationWithoutAMomentWithoutAReadyReplica() throws Exception {
        try (ProcessPool pool = pool(template(400).build(), 2)) {
            pool.start();
            Set<Long> old = pids(pool.replicas());
            AtomicBoolean watching = new AtomicBoolean(true);
            AtomicInteger emptyLooks = new AtomicInteger();
            AtomicInteger looks = new AtomicInteger();
            CompletableFuture<Void> watcher = CompletableFuture.runAsync(() -> {
                while (watching.get()) { // a dispatcher polling the replica set
                    looks.incrementAndGet();
                    if (pool.replicas().stream().noneMatch(Replica::isReady)) {
                        emptyLooks.incrementAndGet();
                    }
                    Thread.onSpinWait();
                }
            });
            Map<Long, Boolean> drainedWhileRetiring = new ConcurrentHashMap<>();
            ProcessPool.ReplaceResult result = pool.replace(replica -> {
                drainedWhileRetiring.put(replica.generation(), replica.retiring());
                return CompletableFuture.completedFuture(null);
            });
            watching.set(false);
            watcher.join();
            assertThat(looks.get()).isPositive();
            assertThat(emptyLooks.get()).as("looks at the replica set that found no ready replica").isZero();
            assertThat(result.from()).isEqualTo(1);
            assertThat(result.to()).isEqualTo(2);
            assertThat(pool.generation()).isEqualTo(2);
            assertThat(drainedWhileRetiring).containsExactly(Map.entry(1L, true));
            List<Replica> now = pool.replicas();
            assertThat(now).hasSize(2).allMatch(Replica::isReady).allMatch(r -> r.generation() == 2);
            for (Replica r : now) {
                assertThat(health(r)).contains("\"generation\": 2");
            }
            assertThat(old).noneMatch(Processes::isAlive);
            await().atMost(Duration.ofSeconds(5)).until(() -> kinds(0, 1).contains(ReplicaEvent.Kind.GONE));
            assertThat(kinds(0, 1)).containsExactly(ReplicaEvent.Kind.ADDED, ReplicaEvent.Kind.READY,
                    ReplicaEvent.Kind.RETIRING, ReplicaEvent.Kind.GONE);
            assertThat(Files.readString(logs.resolve("pooled-0.log"))).contains("[g1] ").contains("[g2] ");
        }
    }

    @Test
    void aSuccessorThatNeverGetsReadyLeavesThePredecessorsUntouched() throws Exception {
        ProcessConfig template = template(0, "--stall-generation", "2").startupTimeout(Duration.ofSeconds(2)).build();
        try (ProcessPool pool = pool(template, 2)) {
            pool.start();
            List<Replica> before = pool.replicas();
            assertThatThrownBy(() -> pool.replace(Drain.immediately()))
                    .isInstanceOfSatisfying(ReplicaStartException.class, e -> {
                        assertThat(e.getMessage()).contains("2 of 2 replica(s) failed to start")
                                .contains("startup timeout of 2000 ms");
                        assertThat(e.failures()).hasSize(2).allMatch(f -> f instanceof StartupTimeoutException);
                        assertThat(e.serving()).hasSize(2).allMatch(r -> r.generation() == 1 && r.isReady());
                    });
            List<Replica> after = pool.replicas();
            assertThat(after).hasSize(2).allMatch(Replica::isReady).allMatch(r -> r.generation() == 1);
            assertThat(pids(after)).isEqualTo(pids(before));
            assertThat(kinds(0, 1)).doesNotContain(ReplicaEvent.Kind.RETIRING);
            await().atMost(Duration.ofSeconds(5)).until(() -> kinds(0, 2).contains(ReplicaEvent.Kind.GONE));
            for (Replica r : after) {
                assertThat(health(r)).contains("\"generation\": 1");
            }
        }
    }

    @Test
    void aPredecessorKilledDuringTheReplaceIsRestartedByItsSupervisionAndStillRetired() throws Exception {
        try (ProcessPool pool = pool(template(1500).restartPolicy(RestartPolicy.onFailure()).build(), 2)) {
            pool.start();
            Set<Long> old = pids(pool.replicas());
            long victim = old.iterator().next();
            CompletableFuture<ProcessPool.ReplaceResult> replace = CompletableFuture.supplyAsync(() -> {
                try {
                    return pool.replace(Drain.immediately());
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> pool.replicas().size() == 4); // successors starting
            ProcessHandle.of(victim).ifPresent(ProcessHandle::destroyForcibly); // kill -9
            await().atMost(Duration.ofSeconds(10)).until(() -> events.stream().anyMatch(e ->
                    e.kind() == ReplicaEvent.Kind.RESTARTING && e.replica().generation() == 1));
            ProcessPool.ReplaceResult result = replace.get();
            assertThat(result.replicas()).hasSize(2).allMatch(r -> r.generation() == 2 && r.isReady());
            assertThat(old).noneMatch(Processes::isAlive);
            await().atMost(Duration.ofSeconds(10)).until(() -> pool.replicas().size() == 2
                    && pool.replicas().stream().allMatch(r -> r.generation() == 2));
        }
    }

    @Test
    void aSecondReplaceWhileOneRunsIsRefused() throws Exception {
        try (ProcessPool pool = pool(template(1500).build(), 1)) {
            pool.start();
            CompletableFuture<ProcessPool.ReplaceResult> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return pool.replace(Drain.immediately());
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> pool.generation() == 2);
            assertThatThrownBy(() -> pool.replace(Drain.immediately())).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot replace while a replace is in progress");
            assertThatThrownBy(() -> pool.resize(2, Drain.immediately())).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot resize while a replace is in progress");
            assertThat(first.get().to()).isEqualTo(2);
        }
    }

    @Test
    void aRollingReplaceThatFailsStopsWhereItIsWithNeverFewerReadyReplicas() throws Exception {
        Path counter = logs.resolve("starts");
        // starts 1-3: generation 1; 4: first successor; 5: the second one fails
        ProcessConfig template = template(0, "--start-counter", counter.toString(), "--fail-start", "5").build();
        try (ProcessPool pool = pool(template, 3)) {
            pool.start();
            assertThatThrownBy(() -> pool.replace(Rollout.rolling(1), Drain.immediately()))
                    .isInstanceOfSatisfying(ReplicaStartException.class, e -> {
                        assertThat(e.getMessage()).contains("#1 (generation 2");
                        assertThat(e.serving()).hasSize(3).allMatch(Replica::isReady);
                    });
            List<Replica> now = pool.replicas();
            assertThat(now).hasSize(3).allMatch(Replica::isReady);
            assertThat(now).extracting(Replica::index, Replica::generation)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(0, 2L), org.assertj.core.groups.Tuple.tuple(1, 1L),
                            org.assertj.core.groups.Tuple.tuple(2, 1L));
        }
    }

    @Test
    void aFixedPortReplacesStopFirstThenStart() throws Exception {
        int port = dev.airouter.testing.FreePorts.next();
        ProcessConfig template = template(0).build();
        try (ProcessPool pool = ProcessPool.create(PoolConfig.builder(template).fixedPort(port).build())) {
            pool.start();
            long old = pool.replicas().get(0).status().pid().orElseThrow();
            pool.replace(Drain.immediately());
            assertThat(pool.replicas()).singleElement().satisfies(r -> {
                assertThat(r.port()).isEqualTo(port);
                assertThat(r.generation()).isEqualTo(2);
                assertThat(r.isReady()).isTrue();
            });
            assertThat(Processes.isAlive(old)).isFalse();
        }
    }

    @Test
    void configRulesAreCheckedAtBuild() {
        ProcessConfig template = template(0).build();
        assertThatThrownBy(() -> ManagedProcess.create(template)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has a {port} placeholder").hasMessageContaining("ProcessPool");
        assertThatThrownBy(() -> PoolConfig.builder(template).replicas(2).fixedPort(8080).build())
                .hasMessageContaining("fixedPort (8080) needs a pool of one replica, not 2");
        assertThatThrownBy(() -> PoolConfig.builder(template).replicas(0)).hasMessageContaining("replicas must be 1-64, was 0");
        ProcessConfig noPort = ProcessConfig.builder("x").command(Fixtures.httpServer(1234, 0, "x")).build();
        assertThatThrownBy(() -> PoolConfig.builder(noPort).build()).hasMessageContaining("passes no port to the process");
        ProcessConfig fixedHealth = ProcessConfig.builder("x").command(Fixtures.httpServer(ProcessPool.PORT, 0, "x"))
                .healthCheck(HealthCheck.http("http://127.0.0.1:8080/health")).build();
        assertThatThrownBy(() -> PoolConfig.builder(fixedHealth).build()).hasMessageContaining("has a fixed port");
        assertThatThrownBy(() -> HealthCheck.http("http://127.0.0.1:{port}/health").url())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("placeholder");
        assertThat(HealthCheck.http("http://127.0.0.1:{port}/health").withPort(4321).url())
                .isEqualTo(URI.create("http://127.0.0.1:4321/health"));
        assertThatThrownBy(() -> Rollout.rolling(0)).hasMessageContaining("maxSurge must be at least 1");
    }

    @Test
    void aStoppedPoolRefusesNewWork() throws Exception {
        ProcessPool pool = pool(template(0).build(), 1);
        pool.start();
        pool.close();
        assertThatThrownBy(() -> pool.replace(Drain.immediately())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is stopped");
        pool.close(); // idempotent
        List<ReplicaEvent.Kind> all = new ArrayList<>(kinds(0, 1));
        assertThat(all).endsWith(ReplicaEvent.Kind.GONE);
    }
}
