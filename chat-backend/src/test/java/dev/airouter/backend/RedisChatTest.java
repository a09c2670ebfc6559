package dev.airouter.backend;

import static dev.airouter.backend.TestJson.json;
import static dev.airouter.backend.TestJson.toJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.airouter.session.SessionStoreConfig;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RawHttp;
import dev.airouter.testing.RedisExtension;
import dev.airouter.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The backend with a real redis-server as its session store. */
@ExtendWith({RedisExtension.class, NoLeftoverProcesses.class})
class RedisChatTest {
    private static ChatBackend backend;
    private static RawHttp http;

    @BeforeAll
    static void start(RedisServer redis) throws InterruptedException {
        backend = ChatBackend.create(TestBackends.base(0, 0)
                .storeConfig(SessionStoreConfig.builder().redisUrl(redis.url()).historyLimit(200).build())
                .build()).start();
        http = RawHttp.to(backend.url());
    }

    @AfterAll
    static void stop() {
        if (backend != null) {
            backend.stop();
        }
    }

    @Test
    void multiTurnChatRecallsTheEarlierMessage() {
        assertThat(backend.storeBackend()).isEqualTo("redis");
        RawHttp.Response first = http.postJson("/api/chat", toJson(Map.of("message", "Hello")));
        assertThat(first.status()).as(first.text()).isEqualTo(200);
        String id = json(first).path("sessionId").asText();
        RawHttp.Response second = http.postJson("/api/chat", toJson(Map.of("message", "What did I just say?", "sessionId", id)));
        assertThat(second.status()).as(second.text()).isEqualTo(200);
        assertThat(json(second).path("message").asText()).contains("Hello");
        assertThat(json(http.get("/health")).path("store").path("backend").asText()).isEqualTo("redis");
        assertThat(json(http.get("/api/sessions/" + id)).path("messages")).hasSize(4);
    }

    @Test
    void sixteenConcurrentClientsOnOneSessionLoseNoMessage() {
        String id = "crowded-session-1";
        int clients = 16;
        int perClient = 3;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<CompletableFuture<List<Integer>>> results = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                results.add(CompletableFuture.supplyAsync(() -> {
                    List<Integer> statuses = new ArrayList<>();
                    for (int m = 0; m < perClient; m++) {
                        statuses.add(http.postJson("/api/chat", toJson(Map.of("message", "client " + client + " message " + m,
                                "sessionId", id))).status());
                    }
                    return statuses;
                }, pool));
            }
            results.forEach(r -> assertThat(r.join()).containsOnly(200));
        } finally {
            pool.shutdownNow();
        }
        JsonNode messages = json(http.get("/api/sessions/" + id)).path("messages");
        assertThat(messages).hasSize(2 * clients * perClient);
        Set<String> sent = new HashSet<>();
        for (int i = 0; i < messages.size(); i += 2) {
            assertThat(messages.get(i).path("role").asText()).isEqualTo("user"); // each user message is
            assertThat(messages.get(i + 1).path("role").asText()).isEqualTo("assistant"); // followed by its reply
            sent.add(messages.get(i).path("content").asText());
        }
        assertThat(sent).hasSize(clients * perClient);
    }

    @Test
    void redisOutageIs503WithAClearErrorAndRecovers() throws InterruptedException {
        try (RedisServer redis = RedisServer.start();
                ChatBackend own = ChatBackend.create(TestBackends.base(0, 0)
                        .storeConfig(SessionStoreConfig.builder().redisUrl(redis.url()).build()).build()).start()) {
            RawHttp client = RawHttp.to(own.url());
            assertThat(client.postJson("/api/chat", toJson(Map.of("message", "Hello"))).status()).isEqualTo(200);

            redis.kill();
            long begin = System.nanoTime();
            RawHttp.Response down = client.postJson("/api/chat",
                    toJson(Map.of("message", "Hello again", "sessionId", "outage-1")));
            assertThat((System.nanoTime() - begin) / 1_000_000).isLessThan(3000);
            assertThat(down.status()).as(down.text()).isEqualTo(503);
            assertThat(down.header("Retry-After")).isEqualTo("1");
            assertThat(json(down).path("error").asText()).isEqualTo("session store unavailable");
            assertThat(json(down).path("details").asText()).contains("redis://127.0.0.1:" + redis.port());
            RawHttp.Response health = client.get("/health");
            assertThat(health.status()).isEqualTo(503);
            assertThat(json(health).path("store").path("reachable").asBoolean(true)).isFalse();

            redis.restart();
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() ->
                    client.postJson("/api/chat", toJson(Map.of("message", "Back?", "sessionId", "outage-1"))).status() == 200);
            assertThat(client.get("/health").status()).isEqualTo(200);
        }
    }
}
