package dev.airouter.backend;

import static dev.airouter.backend.TestJson.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.airouter.lifecycle.ProcessState;
import dev.airouter.testing.FreePorts;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.Processes;
import dev.airouter.testing.RawHttp;
import java.util.OptionalInt;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Each backend's instance id: in {@code /health} and {@code /api/status}, different for two backends
 * in one JVM, the configured one when set; handed to the routers it spawns, which report it, so that
 * no other backend adopts them (a router started by hand stays adoptable: RouterSupervisionTest).
 */
@ExtendWith(NoLeftoverProcesses.class)
class InstanceIdTest {

    @Test
    void healthAndStatusCarryTheInstanceIdAndTwoBackendsInOneJvmDiffer() throws InterruptedException {
        try (ChatBackend first = ChatBackend.create(TestBackends.memory().build()).start();
                ChatBackend second = ChatBackend.create(TestBackends.memory().build()).start()) {
            assertThat(first.instanceId()).matches("[0-9a-z]{10}").isNotEqualTo(second.instanceId());
            for (ChatBackend backend : new ChatBackend[] {first, second}) {
                RawHttp http = RawHttp.to(backend.url());
                assertThat(json(http.get("/health")).path("instanceId").asText()).isEqualTo(backend.instanceId());
                assertThat(json(http.get("/api/status")).path("instanceId").asText()).isEqualTo(backend.instanceId());
            }
        }
    }

    @Test
    void aConfiguredIdIsUsedAndTheSpawnedRouterReportsItAndThisPid() throws InterruptedException {
        ChatBackend backend = ChatBackend.create(TestBackends.memory().instanceId("web-1").build());
        assertThat(backend.instanceId()).isEqualTo("web-1"); // known before start
        try (backend) {
            backend.start();
            RawHttp http = RawHttp.to(backend.url());
            assertThat(json(http.get("/health")).path("instanceId").asText()).isEqualTo("web-1");
            assertThat(json(http.get("/api/status")).path("instanceId").asText()).isEqualTo("web-1");
            JsonNode spawnedBy = json(RawHttp.to(backend.routerUrl()).get("/health")).path("spawned_by");
            assertThat(spawnedBy.path("instance_id").asText()).isEqualTo("web-1");
            assertThat(spawnedBy.path("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
        }
    }

    @Test
    void aRouterAnotherBackendSpawnedIsNotAdoptedFromTheProbePort() throws InterruptedException {
        int routerPort = FreePorts.next();
        OkHttpClient client = new OkHttpClient();
        try (ChatBackend owner = ChatBackend.create(TestBackends.memory(0, routerPort).build()).start()) {
            long ownersRouter = owner.routerStatus().pid().orElseThrow();
            RouterHandle handle = RouterSetup.create(TestBackends.memory().build(), "second",
                    OptionalInt.of(routerPort), client, new Json(), () -> { });
            try {
                handle.start();
                RouterStatus status = handle.status();
                assertThat(status.owned()).as("spawned its own router instead").isTrue();
                assertThat(status.replicas()).singleElement().satisfies(r -> {
                    assertThat(r.state()).isEqualTo(ProcessState.RUNNING);
                    assertThat(r.url().getPort()).isNotEqualTo(routerPort);
                });
            } finally {
                handle.close();
            }
            assertThat(owner.routerStatus().pid()).hasValue(ownersRouter);
            assertThat(owner.routerStatus().replicas().get(0).state()).isEqualTo(ProcessState.RUNNING);
        } finally {
            client.dispatcher().executorService().shutdown();
        }
    }

    @Test
    void aFixedRouterPortHeldByAnotherBackendsRouterFailsTheStartNamingTheOwner() throws InterruptedException {
        int routerPort = FreePorts.next();
        try (ChatBackend owner = ChatBackend.create(TestBackends.memory(0, routerPort).build()).start()) {
            long ownersRouter = owner.routerStatus().pid().orElseThrow();
            int port = FreePorts.next();
            ChatBackend second = ChatBackend.create(TestBackends.memory(port, routerPort).build());
            assertThatThrownBy(second::start).isInstanceOf(BackendException.class)
                    .hasMessageContaining("the router port " + routerPort + " is held by a router (pid " + ownersRouter
                            + ") that another airouter spawned: airouter instance " + owner.instanceId() + " (pid "
                            + ProcessHandle.current().pid() + ", running)")
                    .hasMessageContaining("never adopted");
            assertThat(FreePorts.isAccepting(port)).as("the second backend listens nowhere").isFalse();
            assertThat(Processes.isAlive(ownersRouter)).isTrue();
            assertThat(owner.routerStatus().pid()).hasValue(ownersRouter);
            RawHttp.Response health = RawHttp.to(owner.url()).get("/health");
            assertThat(health.status()).isEqualTo(200);
            assertThat(json(health).path("router").path("owned").asBoolean()).isTrue();
        }
    }

    @Test
    void aHealthAnswerWithoutSpawnedByIsNobodysRouter() {
        Json json = new Json();
        assertThat(SpawnedBy.in("{\"status\":\"ok\",\"spawned_by\":null}", json.mapper())).isEmpty();
        assertThat(SpawnedBy.in("{\"status\":\"ok\"}", json.mapper())).isEmpty();
        assertThat(SpawnedBy.in("not json", json.mapper())).isEmpty();
        assertThat(SpawnedBy.in("{\"spawned_by\":{\"instance_id\":\"web-1\",\"pid\":42}}", json.mapper()))
                .contains(new SpawnedBy("web-1", 42));
    }
}
