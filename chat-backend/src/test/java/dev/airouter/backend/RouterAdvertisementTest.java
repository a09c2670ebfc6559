package dev.airouter.backend;

import static dev.airouter.backend.TestJson.json;
import static dev.airouter.backend.TestJson.toJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.airouter.testing.Fixtures;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RawHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a router says about itself in {@code /health}: read again after every restart; and for a router
 * that advertises neither limits nor agents ({@code plain_router.py}), the configured {@link RouterLimits},
 * with a refusal of what the backend built counted as the backend's fault (502), never the client's (400).
 */
@ExtendWith(NoLeftoverProcesses.class)
class RouterAdvertisementTest {

    private static ChatBackend start(int routerAccepts, int configured) throws InterruptedException {
        return ChatBackend.create(TestBackends.base(0, 0).routerCommand(TestBackends.plainRouter(routerAccepts))
                .storeConfig(TestBackends.memoryStore(1000))
                .routerLimits(RouterLimits.ofDefaults().withMaxHistoryMessages(configured)).build()).start();
    }

    @Test
    void aRouterThatAdvertisesNothingGetsTheConfiguredHistoryLimit() throws InterruptedException {
        try (ChatBackend backend = start(8, 8)) {
            RawHttp http = RawHttp.to(backend.url());
            List<Integer> sent = new ArrayList<>();
            for (int turn = 0; turn < 8; turn++) {
                RawHttp.Response answer = http.postJson("/api/chat", toJson(Map.of("message", "turn " + turn,
                        "sessionId", "plain-1")));
                assertThat(answer.status()).as(answer.text()).isEqualTo(200);
                sent.add(json(answer).path("metadata").path("historyLength").asInt());
            }
            assertThat(sent).containsExactly(0, 2, 4, 6, 8, 8, 8, 8);
            JsonNode limits = json(http.get("/api/status")).path("router").path("limits");
            assertThat(limits.path("maxHistoryMessages").asInt()).isEqualTo(8);
            assertThat(limits.path("advertised").asBoolean()).isFalse();
        }
    }

    @Test
    void aRefusalOfWhatTheBackendBuiltIs502NeverA400() throws InterruptedException {
        try (ChatBackend backend = start(3, 6)) { // misconfigured: the router takes 3, the backend sends up to 6
            RawHttp http = RawHttp.to(backend.url());
            RawHttp.Response answer = null;
            for (int turn = 0; turn < 3; turn++) {
                answer = http.postJson("/api/chat", toJson(Map.of("message", "turn " + turn, "sessionId", "plain-2")));
            }
            assertThat(answer.status()).as(answer.text()).isEqualTo(502);
            JsonNode body = json(answer);
            assertThat(body.path("error").asText()).isEqualTo("router rejected the request");
            assertThat(body.path("details").asText()).contains("HTTP 400: 'history' has 4 messages (limit 3)")
                    .contains("not of your request").contains("request id " + answer.header("X-Request-Id"));
        }
    }

    /** Without an agent list the backend cannot tell a user's unknown agent from its own mistake: 502, with the router's reason. */
    @Test
    void anUnknownAgentOfARouterThatListsNoneIs502WithTheRoutersReason() throws InterruptedException {
        try (ChatBackend backend = start(8, 8)) {
            RawHttp http = RawHttp.to(backend.url());
            assertThat(http.postJson("/api/chat", toJson(Map.of("message", "hi", "agent", "echo"))).status()).isEqualTo(200);
            RawHttp.Response answer = http.postJson("/api/chat", toJson(Map.of("message", "hi", "agent", "nope")));
            assertThat(answer.status()).isEqualTo(502);
            assertThat(json(answer).path("details").asText()).contains("unknown agent 'nope'; valid agents: echo");
        }
    }

    @Test
    void theLimitsAreReadAgainWhenTheRouterRestarts() throws Exception {
        Path limit = Files.createTempFile(TestBackends.tempDir(), "limit", ".txt");
        Files.writeString(limit, "5");
        List<String> command = List.of("sh", "-c", "exec \"$0\" -m ai_router --lifeline ppid --max-history-messages"
                + " \"$(cat \"$1\")\"", Fixtures.python(), limit.toString());
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().routerCommand(command).build()).start()) {
            RawHttp http = RawHttp.to(backend.url());
            assertThat(maxHistory(http)).isEqualTo(5);
            long pid = backend.routerStatus().pid().orElseThrow();
            Files.writeString(limit, "9"); // the next version of the router takes more
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            await().atMost(Duration.ofSeconds(30)).until(() -> backend.routerStatus().restarts() == 1
                    && backend.routerStatus().state() == RouterStatus.State.RUNNING);
            assertThat(maxHistory(http)).isEqualTo(9);
        }
    }

    private static int maxHistory(RawHttp http) {
        return json(http.get("/api/status")).path("router").path("limits").path("maxHistoryMessages").asInt();
    }
}
