package dev.airouter.backend;

import static dev.airouter.backend.TestJson.json;
import static dev.airouter.backend.TestJson.toJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.airouter.lifecycle.PortInUseException;
import dev.airouter.lifecycle.ReplicaEvent;
import dev.airouter.lifecycle.ProcessExitedException;
import dev.airouter.lifecycle.ReplicaStartException;
import dev.airouter.lifecycle.ProcessState;
import dev.airouter.testing.Fixtures;
import dev.airouter.testing.FreePorts;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.Processes;
import dev.airouter.testing.RawHttp;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The router as a supervised child: crash and restart, start failures, adoption, foreign servers. */
@ExtendWith(NoLeftoverProcesses.class)
class RouterSupervisionTest {

    @Test
    void killedRouterAnswers503AtOnceThenRecoversWithConversationIntact() throws InterruptedException {
        List<ReplicaEvent> events = new CopyOnWriteArrayList<>();
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().build())) {
            backend.addRouterListener(events::add);
            backend.start();
            RawHttp http = RawHttp.to(backend.url());
            String id = "survives-crash-1";
            assertThat(http.postJson("/api/chat", toJson(Map.of("message", "Hello", "sessionId", id))).status()).isEqualTo(200);

            long pid = backend.routerStatus().pid().orElseThrow();
            long killedAt = System.nanoTime();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20)).until(() -> {
                RawHttp.Response r = http.postJson("/api/chat", toJson(Map.of("message", "Are you there?", "sessionId", id)));
                if (r.status() == 503) {
                    assertThat(r.header("Retry-After")).isEqualTo("1");
                    assertThat(json(r).path("error").asText()).startsWith("router");
                }
                return r.status() == 503;
            });
            assertThat((System.nanoTime() - killedAt) / 1_000_000).isLessThan(1000);

            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() ->
                    http.get("/health").status() == 200);
            RawHttp.Response recalled = http.postJson("/api/chat",
                    toJson(Map.of("message", "What did I just say?", "sessionId", id)));
            assertThat(recalled.status()).as(recalled.text()).isEqualTo(200);
            assertThat(json(recalled).path("message").asText()).contains("Hello");
            assertThat(backend.routerStatus().restarts()).isEqualTo(1);
            assertThat(backend.routerStatus().pid().orElseThrow()).isNotEqualTo(pid);
        }
        assertThat(events).extracting(ReplicaEvent::kind).containsSubsequence(ReplicaEvent.Kind.READY,
                ReplicaEvent.Kind.DOWN, ReplicaEvent.Kind.RESTARTING, ReplicaEvent.Kind.READY);
    }

    @Test
    void routerThatCrashesAtStartFailsTheStartWithItsLastLinesAndNothingListens() {
        int port = FreePorts.next();
        ChatBackend backend = ChatBackend.create(TestBackends.memory(port, 0).routerCommand(Fixtures.crash(3, 4)).build());
        assertThatThrownBy(backend::start)
                .isInstanceOfSatisfying(ReplicaStartException.class, e -> {
                    assertThat(e.getMessage()).contains("exited with code 3").contains("fatal: fixture crashing");
                    assertThat(e.failures()).singleElement().isInstanceOfSatisfying(ProcessExitedException.class, f -> {
                        assertThat(f.exitCode()).isEqualTo(3);
                        assertThat(f.lastLines()).isNotEmpty();
                    });
                });
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
        assertThatThrownBy(backend::port).isInstanceOf(IllegalStateException.class);
        backend.stop(); // harmless after a failed start
    }

    @Test
    void foreignServerOnTheRouterPortIsAClearError() throws Exception {
        int routerPort = FreePorts.next();
        Process foreign = new ProcessBuilder(Fixtures.httpServer(routerPort, 0, "something-else")).start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> FreePorts.isAccepting(routerPort));
            int port = FreePorts.next();
            ChatBackend backend = ChatBackend.create(TestBackends.memory(port, routerPort).build());
            assertThatThrownBy(backend::start)
                    .isInstanceOfSatisfying(ReplicaStartException.class, e -> {
                        assertThat(e.getMessage()).contains("port " + routerPort).contains("something-else");
                        assertThat(e.failures()).singleElement().isInstanceOfSatisfying(PortInUseException.class,
                                f -> assertThat(f.port()).isEqualTo(routerPort));
                    });
            assertThat(FreePorts.isAccepting(port)).isFalse();
        } finally {
            foreign.destroyForcibly().waitFor();
        }
    }

    @Test
    void healthyRouterAlreadyRunningIsAdoptedAndLeftRunning() throws Exception {
        int routerPort = FreePorts.next();
        Process router = new ProcessBuilder(Fixtures.python(), "-m", "ai_router", "--port", Integer.toString(routerPort))
                .directory(TestBackends.ROUTER_SOURCES.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            await().atMost(Duration.ofSeconds(15)).until(() -> FreePorts.isAccepting(routerPort));
            try (ChatBackend backend = ChatBackend.create(TestBackends.memory(0, routerPort).build()).start()) {
                assertThat(backend.routerStatus().replicas()).singleElement()
                        .satisfies(r -> assertThat(r.state()).isEqualTo(ProcessState.ADOPTED));
                assertThat(backend.routerStatus().owned()).isFalse();
                RawHttp http = RawHttp.to(backend.url());
                assertThat(http.postJson("/api/chat", toJson(Map.of("message", "Hello"))).status()).isEqualTo(200);
                assertThat(json(http.get("/health")).path("router").path("owned").asBoolean(true)).isFalse();
            }
            assertThat(Processes.isAlive(router.pid())).isTrue();
            assertThat(FreePorts.isAccepting(routerPort)).isTrue();
        } finally {
            router.destroyForcibly().waitFor();
        }
    }

    @Test
    void aRouterFoundOnTheAdoptionPortIsTheOnlyOneWhateverTheNumberOfRouters() throws Exception {
        int routerPort = FreePorts.next();
        Process router = new ProcessBuilder(Fixtures.python(), "-m", "ai_router", "--port", Integer.toString(routerPort))
                .directory(TestBackends.ROUTER_SOURCES.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        okhttp3.OkHttpClient http = new okhttp3.OkHttpClient();
        try {
            await().atMost(Duration.ofSeconds(15)).until(() -> FreePorts.isAccepting(routerPort));
            RouterHandle handle = RouterSetup.create(TestBackends.memory().routers(3).build(), "test",
                    java.util.OptionalInt.of(routerPort), http, new Json(), () -> { });
            try {
                handle.start();
                RouterStatus status = handle.status();
                assertThat(status.owned()).isFalse();
                assertThat(status.replicas()).singleElement().satisfies(r -> {
                    assertThat(r.state()).isEqualTo(ProcessState.ADOPTED);
                    assertThat(r.url().getPort()).isEqualTo(routerPort);
                });
            } finally {
                handle.close();
            }
            assertThat(Processes.isAlive(router.pid())).isTrue();
        } finally {
            router.destroyForcibly().waitFor();
            http.dispatcher().executorService().shutdown();
        }
    }

    @Test
    void externalRouterUrlIsUsedAndNeverSpawned() throws Exception {
        int routerPort = FreePorts.next();
        Process router = new ProcessBuilder(Fixtures.python(), "-m", "ai_router", "--port", Integer.toString(routerPort))
                .directory(TestBackends.ROUTER_SOURCES.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            await().atMost(Duration.ofSeconds(15)).until(() -> FreePorts.isAccepting(routerPort));
            try (ChatBackend backend = ChatBackend.create(BackendConfig.builder().port(0).shutdownHook(false).storeConfig(TestBackends.memoryStore())
                    .routerUrl("http://127.0.0.1:" + routerPort).build()).start()) {
                assertThat(backend.routerUrl().toString()).isEqualTo("http://127.0.0.1:" + routerPort + "/");
                assertThat(backend.routerStatus().owned()).isFalse();
                RawHttp http = RawHttp.to(backend.url());
                assertThat(http.postJson("/api/chat", toJson(Map.of("message", "Hello"))).status()).isEqualTo(200);

                router.destroyForcibly().waitFor();
                RawHttp.Response down = http.postJson("/api/chat", toJson(Map.of("message", "Hello")));
                assertThat(down.status()).isEqualTo(503);
                assertThat(down.header("Retry-After")).isEqualTo("1");
                assertThat(http.get("/health").status()).isEqualTo(503);
            }
        } finally {
            router.destroyForcibly().waitFor();
        }
    }

    @Test
    void unreachableExternalRouterFailsTheStart() {
        int routerPort = FreePorts.next();
        ChatBackend backend = ChatBackend.create(BackendConfig.builder().port(0).shutdownHook(false).storeConfig(TestBackends.memoryStore())
                .routerUrl("http://127.0.0.1:" + routerPort).build());
        assertThatThrownBy(backend::start).isInstanceOf(BackendException.class)
                .hasMessageContaining("http://127.0.0.1:" + routerPort)
                .hasMessageContaining("does not answer GET /health");
        // the IO threads made while the router was checked are not daemons: a failed start must end them
        await().atMost(Duration.ofSeconds(15)).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.isAlive() && t.getName().startsWith("airouter-backend")));
    }

    @Test
    void backendPortInUseIsAClearErrorAndTheRouterIsStopped() throws Exception {
        try (java.net.ServerSocket taken = FreePorts.occupy()) {
            int port = taken.getLocalPort();
            ChatBackend backend = ChatBackend.create(TestBackends.memory(port, 0).build());
            assertThatThrownBy(backend::start).isInstanceOf(BackendException.class)
                    .hasMessageContaining("127.0.0.1:" + port);
        }
        // NoLeftoverProcesses checks that the router spawned before the bind failure is gone
    }
}
