package dev.airouter.backend;

import static dev.airouter.backend.TestJson.json;
import static dev.airouter.backend.TestJson.toJson;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.airouter.session.SessionStoreConfig;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RawHttp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Regression tests for a conversation that became unusable: with a long history limit, the backend
 * used to send the router more history than it accepts (500 messages), and every later turn of that
 * session answered 400 for good. The backend must fit every request into the limits the router
 * advertises. Run against both stores (subclasses), with the real router.
 */
@ExtendWith(NoLeftoverProcesses.class)
abstract class RouterLimitsContract {

    /** The store under test, keeping {@code historyLimit} messages per session. */
    abstract SessionStoreConfig store(int historyLimit);

    private BackendConfig.Builder backend(int historyLimit) {
        return TestBackends.base(0, 0).storeConfig(store(historyLimit));
    }

    @Test
    void concurrentClientsInOneLongConversationAreAllAnsweredAndNothingIsLost() throws Exception {
        try (ChatBackend backend = ChatBackend.create(backend(2000).build()).start()) {
            RawHttp http = RawHttp.to(backend.url()).withTimeout(Duration.ofSeconds(60));
            String session = "long-" + System.nanoTime();
            ExecutorService clients = Executors.newFixedThreadPool(16);
            try {
                List<CompletableFuture<List<RawHttp.Response>>> runs = new ArrayList<>();
                for (int c = 0; c < 16; c++) {
                    int client = c;
                    runs.add(CompletableFuture.supplyAsync(() -> {
                        List<RawHttp.Response> answers = new ArrayList<>();
                        for (int m = 0; m < 25; m++) {
                            answers.add(http.postJson("/api/chat", toJson(Map.of("message",
                                    "client " + client + " message " + m, "sessionId", session))));
                        }
                        return answers;
                    }, clients));
                }
                int longest = 0;
                for (CompletableFuture<List<RawHttp.Response>> run : runs) {
                    for (RawHttp.Response answer : run.get()) {
                        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
                        int sent = json(answer).path("metadata").path("historyLength").asInt();
                        assertThat(sent).isLessThanOrEqualTo(RouterLimits.ofDefaults().maxHistoryMessages());
                        longest = Math.max(longest, sent);
                    }
                }
                assertThat(longest).as("the router's limit was reached, so the history was trimmed to it")
                        .isEqualTo(RouterLimits.ofDefaults().maxHistoryMessages());
            } finally {
                clients.shutdownNow();
            }
            JsonNode stored = json(http.get("/api/sessions/" + session)).path("messages");
            assertThat(stored).hasSize(800);
            Set<String> userMessages = new HashSet<>();
            stored.forEach(m -> {
                if (m.path("role").asText().equals("user")) {
                    userMessages.add(m.path("content").asText());
                }
            });
            assertThat(userMessages).hasSize(400).contains("client 0 message 0", "client 15 message 24");
        }
    }

    @Test
    void theRouterNeverGetsMoreHistoryThanItAdvertises() throws Exception {
        try (ChatBackend backend = ChatBackend.create(backend(2000)
                .routerCommand(TestBackends.bundledRouter("--max-history-messages", "30")).build()).start()) {
            RawHttp http = RawHttp.to(backend.url());
            String session = "advertised-" + System.nanoTime();
            List<Integer> sent = new ArrayList<>();
            for (int turn = 0; turn < 20; turn++) {
                RawHttp.Response answer = http.postJson("/api/chat", toJson(Map.of("message", "turn " + turn,
                        "sessionId", session)));
                assertThat(answer.status()).as(answer.text()).isEqualTo(200);
                sent.add(json(answer).path("metadata").path("historyLength").asInt());
            }
            assertThat(sent).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(30));
            assertThat(sent.subList(15, 20)).containsOnly(30); // 2 messages a turn: full from turn 15 on
            assertThat(json(http.get("/api/status")).path("router").path("limits").path("maxHistoryMessages").asInt())
                    .isEqualTo(30);
        }
    }

    /**
     * A router that takes 32 KiB bodies: the longest message it can take is what fits with the
     * envelope when every code point is escaped to six bytes, and with a history of long messages
     * only what fits beside the message goes along.
     */
    @Test
    void aMessageOfExactlyTheMaximumLengthWithAFullHistoryIsAnswered() throws Exception {
        RouterLimits router = RouterLimits.ofDefaults().withMaxBodyBytes(32 * 1024);
        int longest = RouteBudget.maxQueryCodePoints(router);
        try (ChatBackend backend = ChatBackend.create(backend(50)
                .routerCommand(TestBackends.bundledRouter("--max-body-bytes", Long.toString(router.maxBodyBytes())))
                .build()).start()) {
            RawHttp http = RawHttp.to(backend.url());
            String session = "widest-" + System.nanoTime();
            for (int turn = 0; turn < 25; turn++) { // a full history (50 messages) of long, multi-byte messages
                RawHttp.Response answer = http.postJson("/api/chat", toJson(Map.of("message",
                        turn + " " + "中".repeat(longest - 3), "sessionId", session)));
                assertThat(answer.status()).as(answer.text()).isEqualTo(200);
            }
            String widest = "\u0001".repeat(longest); // six bytes each as JSON: the largest possible body
            RawHttp.Response answer = http.postJson("/api/chat", toJson(Map.of("message", widest, "sessionId", session)));
            assertThat(answer.status()).as(answer.text()).isEqualTo(200);
            answer = http.postJson("/api/chat", toJson(Map.of("message", "中".repeat(longest), "sessionId", session)));
            assertThat(answer.status()).as(answer.text()).isEqualTo(200);
            assertThat(json(answer).path("metadata").path("historyLength").asInt()).isBetween(1, 2);

            RawHttp.Response tooLong = http.postJson("/api/chat", toJson(Map.of("message", "x".repeat(longest + 1),
                    "sessionId", session)));
            assertThat(tooLong.status()).isEqualTo(400);
            assertThat(json(tooLong).path("error").asText()).isEqualTo("message too long");
            assertThat(json(tooLong).path("details").asText()).contains("the limit is " + longest);
        }
    }

    @Test
    void aMessageOfTheConfiguredMaximumWithAFullHistoryIsAnsweredByTheDefaultRouter() throws Exception {
        try (ChatBackend backend = ChatBackend.create(backend(100).build()).start()) {
            RawHttp http = RawHttp.to(backend.url());
            String session = "default-widest-" + System.nanoTime();
            String longest = "😀".repeat(8000); // 8,000 code points, 16,000 UTF-16 units
            for (int turn = 0; turn < 50; turn++) {
                RawHttp.Response answer = http.postJson("/api/chat", toJson(Map.of("message", longest, "sessionId", session)));
                assertThat(answer.status()).as(answer.text()).isEqualTo(200);
            }
            RawHttp.Response answer = http.postJson("/api/chat", toJson(Map.of("message", "\u0001".repeat(8000),
                    "sessionId", session)));
            assertThat(answer.status()).as(answer.text()).isEqualTo(200);
            int sent = json(answer).path("metadata").path("historyLength").asInt();
            assertThat(sent).as("32 KB messages: the 1 MiB body limit, not the 500 messages, bounds the history")
                    .isBetween(20, 99);
        }
    }
}
