package dev.airouter.backend;

import static dev.airouter.backend.TestJson.json;
import static dev.airouter.backend.TestJson.toJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.airouter.lifecycle.ProcessState;
import dev.airouter.lifecycle.ReplicaEvent;
import dev.airouter.lifecycle.RestartPolicy;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RawHttp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Several routers behind the backend: a crash of one costs no request, dispatch steers around a slow
 * one, one that gives up leaves the others serving. Real routers and processes; loose deadlines.
 */
@ExtendWith(NoLeftoverProcesses.class)
class RouterPoolTest {

    private static RawHttp.Response chat(RawHttp http, String message, String session) {
        return http.postJson("/api/chat", toJson(Map.of("message", message, "sessionId", session)));
    }

    @Test
    void killingOneOfTwoRoutersUnderLoadCostsNoRequestAndItComesBack() throws Exception {
        List<ReplicaEvent> events = new CopyOnWriteArrayList<>();
        try (ChatBackend backend = ChatBackend.create(TestBackends.base(0, 0).routers(2)
                .storeConfig(TestBackends.memoryStore(100_000)).build())) {
            backend.addRouterListener(events::add);
            backend.start();
            assertThat(backend.routerStatus().replicas()).hasSize(2).allMatch(RouterStatus.ReplicaStatus::ready);
            RawHttp http = RawHttp.to(backend.url()).withTimeout(Duration.ofSeconds(30));
            AtomicBoolean running = new AtomicBoolean(true);
            List<RawHttp.Response> failures = new CopyOnWriteArrayList<>();
            Map<String, Integer> sent = new ConcurrentHashMap<>();
            ExecutorService clients = Executors.newFixedThreadPool(16);
            List<CompletableFuture<Void>> loops = new ArrayList<>();
            for (int c = 0; c < 16; c++) {
                String session = "pool-client-" + c;
                loops.add(CompletableFuture.runAsync(() -> {
                    int n = 0;
                    while (running.get()) {
                        RawHttp.Response r = chat(http, "message " + n, session);
                        if (r.status() != 200) {
                            failures.add(r);
                        }
                        sent.put(session, ++n);
                    }
                }, clients));
            }
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> sent.values().stream().mapToInt(i -> i).sum() > 100);
                long victim = backend.routerStatus().replicas().get(1).process().pid().orElseThrow();
                ProcessHandle.of(victim).orElseThrow().destroyForcibly(); // kill -9 under load
                await().atMost(Duration.ofSeconds(30)).until(() -> events.stream().anyMatch(e ->
                        e.kind() == ReplicaEvent.Kind.READY && e.replica().index() == 1 && e.replica().status().restarts() == 1));
                int before = sent.values().stream().mapToInt(i -> i).sum();
                await().atMost(Duration.ofSeconds(20)).until(() -> sent.values().stream().mapToInt(i -> i).sum() > before + 100);
            } finally {
                running.set(false);
                CompletableFuture.allOf(loops.toArray(new CompletableFuture<?>[0])).get();
                clients.shutdownNow();
            }
            assertThat(failures).as("answers other than 200 while a router was killed").isEmpty();
            assertThat(events).extracting(ReplicaEvent::kind).contains(ReplicaEvent.Kind.DOWN, ReplicaEvent.Kind.RESTARTING);
            // the restarted router takes calls again
            Set<Integer> servedBy = new HashSet<>();
            for (int i = 0; i < 40 && servedBy.size() < 2; i++) {
                servedBy.add(json(chat(http, "who answers " + i, "pool-probe")).path("metadata").path("routerReplica").asInt());
            }
            assertThat(servedBy).containsExactlyInAnyOrder(0, 1);
            for (Map.Entry<String, Integer> e : sent.entrySet()) { // every turn of every conversation is kept
                JsonNode messages = json(http.get("/api/sessions/" + e.getKey())).path("messages");
                assertThat(messages).as(e.getKey()).hasSize(2 * e.getValue());
            }
        }
    }

    @Test
    void newCallsAvoidASlowRouterAndInFlightCountsReturnToZero() throws Exception {
        Path counter = TestBackends.tempDir().resolve("starts");
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().routers(2)
                .routerCommand(TestBackends.oneSlowRouter(1000, counter)).build()).start()) {
            RawHttp http = RawHttp.to(backend.url()).withTimeout(Duration.ofSeconds(30));
            Map<Integer, AtomicInteger> servedBy = new ConcurrentHashMap<>();
            ExecutorService clients = Executors.newFixedThreadPool(8);
            List<CompletableFuture<Void>> loops = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                int client = c;
                loops.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 20; i++) {
                        RawHttp.Response r = chat(http, "hello " + i, "slow-" + client);
                        assertThat(r.status()).as(r.text()).isEqualTo(200);
                        servedBy.computeIfAbsent(json(r).path("metadata").path("routerReplica").asInt(),
                                k -> new AtomicInteger()).incrementAndGet();
                    }
                }, clients));
            }
            CompletableFuture.allOf(loops.toArray(new CompletableFuture<?>[0])).get();
            clients.shutdownNow();
            int total = servedBy.values().stream().mapToInt(AtomicInteger::get).sum();
            int min = servedBy.values().stream().mapToInt(AtomicInteger::get).min().orElse(0);
            assertThat(total).isEqualTo(160);
            assertThat(min).as("calls answered by the slow router (1 s per call) out of %d: %s", total, servedBy)
                    .isLessThan(total / 4);
            await().atMost(Duration.ofSeconds(10)).until(() -> json(http.get("/health")).path("router").path("replicas")
                    .findValues("inFlight").stream().allMatch(n -> n.asInt() == 0));
        }
    }

    @Test
    void aRouterThatGivesUpLeavesTheOthersServingAndHealthSaysDegraded() throws Exception {
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().routers(2)
                .restartPolicy(RestartPolicy.onFailure().withMaxRestarts(1, Duration.ofMinutes(5))).build()).start()) {
            RawHttp http = RawHttp.to(backend.url());
            for (int kill = 0; kill < 2; kill++) { // the first crash is restarted, the second one is given up on
                int restarts = kill;
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    RouterStatus.ReplicaStatus r = backend.routerStatus().replicas().get(1);
                    return r.ready() && r.process().restarts() == restarts;
                });
                ProcessHandle.of(backend.routerStatus().replicas().get(1).process().pid().orElseThrow())
                        .orElseThrow().destroyForcibly();
            }
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    backend.routerStatus().replicas().get(1).state() == ProcessState.FAILED);
            assertThat(backend.routerStatus().state()).isEqualTo(RouterStatus.State.DEGRADED);
            assertThat(backend.routerStatus().isFailed()).isFalse();
            for (int i = 0; i < 10; i++) {
                RawHttp.Response r = chat(http, "still there? " + i, "degraded-1");
                assertThat(r.status()).as(r.text()).isEqualTo(200);
                assertThat(json(r).path("metadata").path("routerReplica").asInt()).isZero();
            }
            RawHttp.Response health = http.get("/health");
            assertThat(health.status()).isEqualTo(200);
            assertThat(json(health).path("router").path("state").asText()).isEqualTo("DEGRADED");
            assertThat(json(health).path("router").path("replicas").get(1).path("state").asText()).isEqualTo("FAILED");
        }
    }
}
