package dev.airouter.backend;

import static dev.airouter.backend.TestJson.json;
import static dev.airouter.backend.TestJson.toJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.FreePorts;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RawHttp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Timeouts, admission and draining, against a router stand-in that answers slowly. */
@ExtendWith(NoLeftoverProcesses.class)
class SlowRouterTest {
    private final ExecutorService clients = Executors.newCachedThreadPool();

    @BeforeEach
    void warmFixture() {
        TestBackends.slowRouter(0); // extract the script before NoLeftoverProcesses takes its snapshot
    }

    @AfterEach
    void stopClients() {
        clients.shutdownNow();
    }

    private CompletableFuture<RawHttp.Response> chatAsync(RawHttp http, String message) {
        return CompletableFuture.supplyAsync(() -> http.postJson("/api/chat", toJson(Map.of("message", message))), clients);
    }

    @Test
    void routerSlowerThanTheTimeoutIs504() throws InterruptedException {
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().routerCommand(TestBackends.slowRouter(3000))
                .routerTimeout(Duration.ofMillis(300)).build()).start()) {
            RawHttp http = RawHttp.to(backend.url());
            long begin = System.nanoTime();
            RawHttp.Response response = http.postJson("/api/chat", toJson(Map.of("message", "hello")));
            assertThat(response.status()).as(response.text()).isEqualTo(504);
            assertThat(json(response).path("error").asText()).isEqualTo("router timeout");
            assertThat(json(response).path("details").asText()).contains("300 ms");
            assertThat((System.nanoTime() - begin) / 1_000_000).isBetween(250L, 2500L);
        }
    }

    @Test
    void requestsBeyondMaxInFlightAre503AtOnce() throws InterruptedException {
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().routerCommand(TestBackends.slowRouter(1500))
                .maxInFlight(2).build()).start()) {
            RawHttp http = RawHttp.to(backend.url());
            List<CompletableFuture<RawHttp.Response>> slow = List.of(chatAsync(http, "one"), chatAsync(http, "two"));
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() ->
                    json(http.get("/api/status")).path("backend").path("inFlight").asInt() >= 2);
            RawHttp.Response busy = http.postJson("/api/chat", toJson(Map.of("message", "three")));
            assertThat(busy.status()).as(busy.text()).isEqualTo(503);
            assertThat(json(busy).path("error").asText()).isEqualTo("server busy");
            assertThat(busy.header("Retry-After")).isEqualTo("1");
            slow.forEach(f -> assertThat(f.join().status()).isEqualTo(200));
            assertThat(http.postJson("/api/chat", toJson(Map.of("message", "four"))).status()).isEqualTo(200);
        }
    }

    @Test
    void stopLetsInFlightRequestsFinishThenRefusesConnections() throws InterruptedException {
        ChatBackend backend = ChatBackend.create(TestBackends.memory().routerCommand(TestBackends.slowRouter(800)).build()).start();
        RawHttp http = RawHttp.to(backend.url());
        List<CompletableFuture<RawHttp.Response>> inFlight = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            inFlight.add(chatAsync(http, "in flight " + i));
        }
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).until(() ->
                json(http.get("/api/status")).path("backend").path("inFlight").asInt() >= 4);
        long begin = System.nanoTime();
        backend.stop();
        long stopMillis = (System.nanoTime() - begin) / 1_000_000;
        inFlight.forEach(f -> {
            RawHttp.Response r = f.join();
            assertThat(r.status()).as(r.text()).isEqualTo(200);
            assertThat(json(r).path("message").asText()).startsWith("slow reply to in flight");
        });
        assertThat(stopMillis).isLessThan(5000);
        assertThat(FreePorts.isAccepting(backend.port())).isFalse();
        backend.stop(); // idempotent
    }

    @Test
    void drainIsBoundedWhenRequestsTakeTooLong() throws InterruptedException {
        ChatBackend backend = ChatBackend.create(TestBackends.memory().routerCommand(TestBackends.slowRouter(10_000))
                .drainTimeout(Duration.ofMillis(300)).build()).start();
        RawHttp http = RawHttp.to(backend.url());
        CompletableFuture<RawHttp.Response> stuck = chatAsync(http, "stuck");
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).until(() ->
                json(http.get("/api/status")).path("backend").path("inFlight").asInt() >= 1);
        long begin = System.nanoTime();
        backend.stop();
        assertThat((System.nanoTime() - begin) / 1_000_000).isLessThan(4000);
        assertThat(stuck.handle((r, e) -> e != null || r.status() >= 500).join()).isTrue();
    }
}
