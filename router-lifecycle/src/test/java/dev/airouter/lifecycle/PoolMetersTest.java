package dev.airouter.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.NoLeftoverProcesses;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The meters of a {@link ProcessPool} ({@link PoolConfig.Builder#meterRegistry}), read from a real
 * {@link SimpleMeterRegistry} while real replicas start, crash, are replaced and leave: the values
 * follow, and the set of series per index stays the same.
 */
@ExtendWith(NoLeftoverProcesses.class)
class PoolMetersTest {
    /** Meters per replica index: 7 states, restarts, startup duration, generation. */
    private static final int PER_INDEX = ProcessState.values().length + 3;

    @TempDir Path logs;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private ProcessPool pool(ProcessConfig template, int replicas) {
        return ProcessPool.create(PoolConfig.builder(template).replicas(replicas).drainTimeout(Duration.ofSeconds(5))
                .meterRegistry(registry).build());
    }

    private String[] tags(int replica) {
        return new String[] {"pool", "pooled", "replica", Integer.toString(replica)};
    }

    /** The one state whose series is 1; fails if not exactly one is. */
    private String state(int replica) {
        List<String> on = registry.find(PoolMeters.STATE).tags(tags(replica)).gauges().stream()
                .filter(g -> g.value() == 1).map(g -> g.getId().getTag("state")).toList();
        assertThat(on).as("states at 1 of replica " + replica).hasSize(1);
        return on.get(0);
    }

    private double restarts(int replica) {
        return registry.get(PoolMeters.RESTARTS).tags(tags(replica)).functionCounter().count();
    }

    private double generation(int replica) {
        return registry.get(PoolMeters.GENERATION).tags(tags(replica)).gauge().value();
    }

    private double startupSeconds(int replica) {
        return registry.get(PoolMeters.STARTUP).tags(tags(replica)).timeGauge().value(TimeUnit.SECONDS);
    }

    /** The startup duration once the RUNNING event has reached the meters (events are delivered asynchronously). */
    private double awaitStartupSeconds(int replica) {
        await().atMost(Duration.ofSeconds(5)).until(() -> !Double.isNaN(startupSeconds(replica)));
        return startupSeconds(replica);
    }

    private double ready() {
        return registry.get(PoolMeters.READY).tag("pool", "pooled").gauge().value();
    }

    private List<Meter> poolMeters() {
        return registry.getMeters().stream().filter(m -> "pooled".equals(m.getId().getTag("pool"))).toList();
    }

    private Set<String> replicaTags() {
        return poolMeters().stream().map(m -> m.getId().getTag("replica")).filter(t -> t != null)
                .collect(Collectors.toSet());
    }

    @Test
    void aCrashCountsARestartAndReplacesKeepTheCountAndTheNumberOfSeries() throws Exception {
        ProcessConfig template = TestProcesses.pooled(logs, 0).restartPolicy(RestartPolicy.onFailure()).build();
        try (ProcessPool pool = pool(template, 2)) {
            pool.start();
            for (int i = 0; i < 2; i++) {
                assertThat(state(i)).isEqualTo("running");
                assertThat(generation(i)).isEqualTo(1);
                assertThat(restarts(i)).isZero();
                assertThat(awaitStartupSeconds(i)).isGreaterThan(0).isLessThan(30);
            }
            assertThat(ready()).isEqualTo(2);
            int series = poolMeters().size();
            assertThat(series).isEqualTo(2 * PER_INDEX + 1);
            assertThat(poolMeters()).allSatisfy(m -> assertThat(m.getId().getTags()).extracting(Tag::getKey)
                    .isSubsetOf("pool", "replica", "state"));

            long victim = pool.replicas().get(0).status().pid().orElseThrow();
            ProcessHandle.of(victim).ifPresent(ProcessHandle::destroyForcibly); // kill -9
            await().atMost(Duration.ofSeconds(15)).until(() -> restarts(0) == 1 && state(0).equals("running")
                    && pool.replicas().get(0).status().pid().orElse(victim) != victim);
            assertThat(restarts(1)).isZero();
            assertThat(generation(0)).isEqualTo(1);
            await().atMost(Duration.ofSeconds(5)).until(() -> ready() == 2);

            for (long g = 2; g <= 4; g++) {
                pool.replace(Drain.immediately());
                for (int i = 0; i < 2; i++) {
                    assertThat(generation(i)).isEqualTo(g);
                    assertThat(state(i)).isEqualTo("running");
                }
                assertThat(restarts(0)).as("restarts over the pool's life, not the generation's").isEqualTo(1);
                assertThat(restarts(1)).isZero();
                assertThat(ready()).isEqualTo(2);
                assertThat(poolMeters()).as("series after replace " + (g - 1)).hasSize(series);
            }
        }
    }

    @Test
    void duringAReplaceTheSuccessorIsReportedAndThePredecessorAgainWhenTheSuccessorFails() throws Exception {
        ProcessConfig template = TestProcesses.pooled(logs, 0, "--stall-generation", "2")
                .startupTimeout(Duration.ofSeconds(3)).build();
        try (ProcessPool pool = pool(template, 1)) {
            pool.start();
            CompletableFuture<ProcessPool.ReplaceResult> replace = CompletableFuture.supplyAsync(() -> {
                try {
                    return pool.replace(Drain.immediately());
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> generation(0) == 2 && state(0).equals("starting"));
            assertThat(ready()).as("the predecessor still serves").isEqualTo(1);
            assertThatThrownBy(replace::get).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(ReplicaStartException.class);
            await().atMost(Duration.ofSeconds(5)).until(() -> generation(0) == 1 && state(0).equals("running"));
            assertThat(poolMeters()).hasSize(PER_INDEX + 1);
        }
    }

    @Test
    void resizeRemovesTheMetersOfIndexesThatLeftAndCloseRemovesThemAll() throws Exception {
        ProcessPool pool = pool(TestProcesses.pooled(logs, 0).build(), 1);
        try {
            pool.start();
            pool.resize(3, Drain.immediately());
            assertThat(replicaTags()).containsExactlyInAnyOrder("0", "1", "2");
            assertThat(poolMeters()).hasSize(3 * PER_INDEX + 1);
            assertThat(ready()).isEqualTo(3);
            assertThat(state(2)).isEqualTo("running");

            pool.resize(1, Drain.immediately());
            assertThat(replicaTags()).containsExactly("0");
            assertThat(poolMeters()).hasSize(PER_INDEX + 1);
            assertThat(ready()).isEqualTo(1);

            pool.stop();
            assertThat(state(0)).as("an index without a replica").isEqualTo("stopped");
            assertThat(generation(0)).isNaN();
            assertThat(ready()).isZero();
            pool.close();
            assertThat(poolMeters()).isEmpty();
            assertThat(registry.getMeters()).isEmpty();
        } finally {
            pool.close();
        }
        // its name is free again in this registry; a new pool's figures start afresh
        try (ProcessPool again = pool(TestProcesses.pooled(logs, 1000).build(), 1)) {
            assertThat(poolMeters()).hasSize(1);
            CompletableFuture<Void> start = CompletableFuture.runAsync(() -> {
                try {
                    again.start();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> replicaTags().contains("0") && state(0).equals("starting"));
            assertThat(startupSeconds(0)).as("before the first start was ready").isNaN();
            start.get();
            assertThat(awaitStartupSeconds(0)).as("spawn to ready, the fixture waiting 1 s to listen")
                    .isGreaterThanOrEqualTo(1).isLessThan(30);
            assertThat(restarts(0)).isZero();
        }
    }

    @Test
    void everyMeterHasADescriptionAndIsListedInTheJavadocAndASecondPoolOfTheNameIsRefused() throws Exception {
        try (ProcessPool pool = pool(TestProcesses.pooled(logs, 0).build(), 1)) {
            pool.start();
            assertThat(poolMeters()).allSatisfy(m -> assertThat(m.getId().getDescription()).isNotBlank());
            Set<String> registered = poolMeters().stream().map(m -> m.getId().getName()).collect(Collectors.toSet());
            String doc = Files.readString(Path.of("src/main/java/dev/airouter/lifecycle/PoolConfig.java"));
            Set<String> documented = new java.util.TreeSet<>();
            Matcher m = Pattern.compile("\\{@code (airouter\\.pool\\.[a-z.]+)}").matcher(doc);
            while (m.find()) {
                documented.add(m.group(1));
            }
            assertThat(documented).as("meters in PoolConfig.Builder#meterRegistry's table")
                    .containsExactlyInAnyOrderElementsOf(registered);
            assertThat(registry.find(PoolMeters.STATE).tags(tags(0)).gauges())
                    .extracting(g -> g.getId().getTag("state"))
                    .containsExactlyInAnyOrderElementsOf(Stream.of(ProcessState.values())
                            .map(s -> s.name().toLowerCase(Locale.ROOT)).toList());

            assertThatThrownBy(() -> pool(TestProcesses.pooled(logs, 0).build(), 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("already has the meters of a pool named 'pooled'")
                    .hasMessageContaining("give this pool's template another name");
            assertThat(poolMeters()).hasSize(PER_INDEX + 1);
        }
    }
}
