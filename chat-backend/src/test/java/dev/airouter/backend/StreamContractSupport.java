package dev.airouter.backend;

import static dev.airouter.backend.TestJson.json;
import static dev.airouter.backend.TestJson.toJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airouter.lifecycle.HealthCheck;
import dev.airouter.lifecycle.ManagedProcess;
import dev.airouter.lifecycle.ProcessConfig;
import dev.airouter.session.SessionStoreConfig;
import dev.airouter.testing.Fixtures;
import dev.airouter.testing.FreePorts;
import dev.airouter.testing.HttpConnection;
import dev.airouter.testing.RawHttp;
import dev.airouter.testing.ResponseStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the streaming tests share: a stand-in language model ({@code fake_llm.py}) that streams tokens
 * at a set pace, can pause, and records when a request was abandoned, reset before each test; and
 * the calls to read streams and sessions.
 */
abstract class StreamContractSupport {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String LLM_AGENT = "information-retrieval";

    static ManagedProcess llm;
    static URI llmUrl;

    /** Starts the stand-in model shared by the tests of a class. */
    static void startModel() throws InterruptedException {
        int port = FreePorts.next();
        llm = model(port);
        llmUrl = URI.create("http://127.0.0.1:" + port);
    }

    /** Starts a stand-in model on {@code port} with these command-line settings; close it when done. */
    static ManagedProcess model(int port, String... settings) throws InterruptedException {
        ManagedProcess model = ManagedProcess.create(ProcessConfig.builder("fake-llm")
                .command(Fixtures.fakeLlm(port, settings))
                .healthCheck(HealthCheck.http("http://127.0.0.1:" + port + "/health"))
                .startupTimeout(Duration.ofSeconds(20))
                .logFile(TestBackends.tempDir().resolve("fake-llm.log"))
                .build());
        model.ensureRunning();
        return model;
    }

    @AfterAll
    static void stopModel() {
        if (llm != null) {
            llm.close();
            llm = null;
        }
    }

    @BeforeEach
    void resetModel() {
        RawHttp model = RawHttp.to(llmUrl);
        assertThat(model.send("DELETE", "/requests", Map.of(), null).status()).isEqualTo(204);
        configure(Map.of("tokens", 20, "rate", 0, "pause_after", -1, "pause_ms", 0, "first_token_delay_ms", 0));
    }

    static void configure(Map<String, Object> config) {
        RawHttp.Response r = RawHttp.to(llmUrl).postJson("/config", toJson(config));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
    }

    static List<JsonNode> modelRequests() {
        return List.copyOf(json(RawHttp.to(llmUrl).get("/requests")).path("requests").findParents("outcome"));
    }

    static ResponseStream open(HttpConnection c, String sessionId, String message) throws Exception {
        ResponseStream s = c.stream("POST", "/api/chat/stream", Map.of("Content-Type", "application/json"),
                toJson(Map.of("message", message, "sessionId", sessionId, "agent", LLM_AGENT))
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(s.status()).isEqualTo(200);
        return s;
    }

    static JsonNode data(ResponseStream.ServerSentEvent e) throws Exception {
        return MAPPER.readTree(e.data());
    }

    static ResponseStream.ServerSentEvent next(ResponseStream s) throws Exception {
        return s.nextEvent(WAIT).orElseThrow(() -> new AssertionError("the stream ended early"));
    }

    static JsonNode lastMessage(ChatBackend backend, String sessionId) {
        RawHttp.Response r = RawHttp.to(backend.url()).get("/api/sessions/" + sessionId);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode messages = json(r).path("messages");
        return messages.get(messages.size() - 1);
    }

    static String session() {
        return "stream-" + UUID.randomUUID();
    }
}
