package dev.airouter.backend;

import static dev.airouter.backend.TestJson.json;
import static dev.airouter.backend.TestJson.toJson;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RawHttp;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The chat and session endpoints against the real python-router, with the in-memory store. */
@ExtendWith(NoLeftoverProcesses.class)
class ChatApiTest {
    private static ChatBackend backend;
    private static RawHttp http;

    @BeforeAll
    static void start() throws InterruptedException {
        backend = ChatBackend.create(TestBackends.memory().build()).start();
        http = RawHttp.to(backend.url());
    }

    @AfterAll
    static void stop() {
        if (backend != null) {
            backend.stop();
        }
    }

    @Test
    void secondMessageRecallsTheFirst() {
        RawHttp.Response first = http.postJson("/api/chat", toJson(Map.of("message", "Hello")));
        assertThat(first.status()).as(first.text()).isEqualTo(200);
        JsonNode one = json(first);
        assertThat(one.path("success").asBoolean()).isTrue();
        assertThat(one.path("message").asText()).isNotBlank();
        String sessionId = one.path("sessionId").asText();
        assertThat(sessionId).isNotBlank();
        assertThat(one.path("metadata").path("historyLength").asInt()).isZero();

        RawHttp.Response second = http.postJson("/api/chat",
                toJson(Map.of("message", "What did I just say?", "sessionId", sessionId)));
        assertThat(second.status()).as(second.text()).isEqualTo(200);
        JsonNode two = json(second);
        assertThat(two.path("message").asText()).contains("Hello");
        assertThat(two.path("sessionId").asText()).isEqualTo(sessionId);
        JsonNode metadata = two.path("metadata");
        assertThat(metadata.path("historyLength").asInt()).isEqualTo(2);
        assertThat(metadata.path("agent").asText()).isNotBlank();
        assertThat(metadata.has("confidence")).isTrue();
        assertThat(metadata.has("reasoning")).isTrue();
        assertThat(metadata.has("fallbackTriggered")).isTrue();
        assertThat(metadata.path("processingTime").isNumber()).isTrue();
        assertThat(metadata.path("routerLatencyMs").isNumber()).isTrue();
    }

    @Test
    void sessionCanBeReadAndDeleted() {
        String id = "read-and-delete-1";
        assertThat(http.postJson("/api/chat", toJson(Map.of("message", "Hello there", "sessionId", id))).status()).isEqualTo(200);

        RawHttp.Response read = http.get("/api/sessions/" + id);
        assertThat(read.status()).as(read.text()).isEqualTo(200);
        JsonNode session = json(read);
        assertThat(session.path("sessionId").asText()).isEqualTo(id);
        assertThat(session.path("messages")).hasSize(2);
        assertThat(session.path("messages").get(0).path("role").asText()).isEqualTo("user");
        assertThat(session.path("messages").get(0).path("content").asText()).isEqualTo("Hello there");
        assertThat(session.path("messages").get(1).path("role").asText()).isEqualTo("assistant");
        assertThat(session.path("messages").get(0).path("timestamp").asText()).endsWith("Z");
        assertThat(session.path("createdAt").asText()).endsWith("Z");
        assertThat(session.path("updatedAt").asText()).endsWith("Z");

        RawHttp.Response deleted = http.delete("/api/sessions/" + id);
        assertThat(deleted.status()).isEqualTo(204);
        assertThat(http.get("/api/sessions/" + id).status()).isEqualTo(404);
        assertThat(http.delete("/api/sessions/" + id).status()).isEqualTo(404);
    }

    @Test
    void clearForgetsTheSession() {
        String id = "clear-me-1";
        assertThat(http.postJson("/api/chat", toJson(Map.of("message", "Hi", "sessionId", id))).status()).isEqualTo(200);
        RawHttp.Response cleared = http.postJson("/api/chat/clear", toJson(Map.of("sessionId", id)));
        assertThat(cleared.status()).isEqualTo(200);
        assertThat(json(cleared).path("success").asBoolean()).isTrue();
        assertThat(http.get("/api/sessions/" + id).status()).isEqualTo(404);
        RawHttp.Response again = http.postJson("/api/chat/clear", toJson(Map.of("sessionId", id)));
        assertThat(again.status()).isEqualTo(404);
        assertThat(json(again).path("error").asText()).isEqualTo("session not found");
    }

    @Test
    void useHistoryFalseSendsNoHistory() {
        String id = "no-history-1";
        http.postJson("/api/chat", toJson(Map.of("message", "Hello", "sessionId", id)));
        RawHttp.Response reply = http.postJson("/api/chat", toJson(Map.of("message", "What did I just say?", "sessionId", id,
                "useHistory", false)));
        assertThat(reply.status()).isEqualTo(200);
        assertThat(json(reply).path("metadata").path("historyLength").asInt()).isZero();
        assertThat(json(reply).path("message").asText()).doesNotContain("Hello");
    }

    @Test
    void unusualMessagesRoundTripExactly() {
        String id = "round-trip-1";
        String[] messages = {"emoji 😀🎉 and 中文 and العربية", "nul \u0000 inside", "tab\tand\nnewline", "\"quotes\" \\ backslash"};
        for (String message : messages) {
            assertThat(http.postJson("/api/chat", toJson(Map.of("message", message, "sessionId", id))).status()).isEqualTo(200);
        }
        JsonNode stored = json(http.get("/api/sessions/" + id)).path("messages");
        for (int i = 0; i < messages.length; i++) {
            assertThat(stored.get(2 * i).path("content").asText()).isEqualTo(messages[i]);
        }
    }

    @Test
    void agentCanBeForced() {
        RawHttp.Response reply = http.postJson("/api/chat", toJson(Map.of("message", "hello", "agent", "calculator")));
        assertThat(reply.status()).as(reply.text()).isEqualTo(200);
        assertThat(json(reply).path("metadata").path("agent").asText()).isEqualTo("calculator");
        RawHttp.Response auto = http.postJson("/api/chat", toJson(Map.of("message", "hello", "agent", "auto")));
        assertThat(auto.status()).isEqualTo(200);
        assertThat(json(auto).path("metadata").path("agent").asText()).isNotEqualTo("calculator");
    }

    @Test
    void statsHealthAndStatusDescribeTheBackend() {
        RawHttp.Response stats = http.get("/api/chat/stats");
        assertThat(stats.status()).isEqualTo(200);
        assertThat(json(stats).path("backend").asText()).isEqualTo("memory");
        assertThat(json(stats).has("sessions")).isTrue();

        RawHttp.Response health = http.get("/health");
        assertThat(health.status()).isEqualTo(200);
        JsonNode h = json(health);
        assertThat(h.path("status").asText()).isEqualTo("ok");
        assertThat(h.path("router").path("state").asText()).isEqualTo("RUNNING");
        assertThat(h.path("router").path("healthy").asBoolean()).isTrue();
        assertThat(h.path("router").path("owned").asBoolean()).isTrue();
        assertThat(h.path("router").path("pid").asLong()).isPositive();
        assertThat(h.path("router").path("url").asText()).isEqualTo(backend.routerUrl().toString());
        assertThat(h.path("store").path("backend").asText()).isEqualTo("memory");
        assertThat(h.has("uptimeS")).isTrue();

        System.gc(); // the backend runs in this JVM: after a collection the live heap is reported
        RawHttp.Response status = http.get("/api/status");
        assertThat(status.status()).isEqualTo(200);
        JsonNode jvm = json(status).path("backend").path("jvm");
        assertThat(jvm.path("heapUsedBytes").asLong()).isPositive();
        assertThat(jvm.path("heapAfterLastGcBytes").asLong()).isPositive().isLessThanOrEqualTo(jvm.path("heapMaxBytes").asLong());
        assertThat(jvm.path("openFileDescriptors").asLong()).isPositive();
        assertThat(jvm.path("liveThreads").asInt()).isPositive();
        assertThat(json(status).path("router").path("logFile").asText()).endsWith("ai-router.log");
    }

    @Test
    void requestIdIsReturnedAndGeneratedWhenMissing() {
        RawHttp.Response given = http.send("GET", "/health", Map.of("X-Request-Id", "abc-123"), null);
        assertThat(given.header("X-Request-Id")).isEqualTo("abc-123");
        RawHttp.Response generated = http.get("/health");
        assertThat(generated.header("X-Request-Id")).matches("[0-9a-f]{16}");
        RawHttp.Response unsafe = http.send("GET", "/health", Map.of("X-Request-Id", "bad id with spaces"), null);
        assertThat(unsafe.header("X-Request-Id")).matches("[0-9a-f]{16}");
    }

    @Test
    void requestIdIsForwardedToTheRouterLog() throws Exception {
        java.nio.file.Path log = backend.routerStatus().replicas().get(0).process().logFile();
        RawHttp.Response reply = http.send("POST", "/api/chat", Map.of("Content-Type", "application/json",
                "X-Request-Id", "trace-me-42"), "{\"message\":\"hi\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.header("X-Request-Id")).isEqualTo("trace-me-42");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() ->
                java.nio.file.Files.readString(log).contains("id=trace-me-42"));
    }

    @Test
    void expectContinueIsAnsweredBeforeTheBodyIsSent() throws Exception {
        byte[] body = "{\"message\":\"Hello\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (java.net.Socket socket = new java.net.Socket(backend.url().getHost(), backend.port())) {
            socket.setSoTimeout(500); // curl waits 1 s for "100 Continue" before sending anyway
            java.io.OutputStream out = socket.getOutputStream();
            out.write(("POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            out.flush();
            byte[] interim = new byte[25];
            int n = socket.getInputStream().read(interim);
            assertThat(new String(interim, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 100");
            socket.setSoTimeout(10_000);
            out.write(body);
            out.flush();
            java.io.ByteArrayOutputStream rest = new java.io.ByteArrayOutputStream();
            socket.getInputStream().transferTo(rest);
            assertThat(rest.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("200 OK").contains("\"success\":true");
        }
    }

    @Test
    void corsHeadersOnlyForAllowedOrigins() {
        RawHttp.Response allowed = http.send("GET", "/health", Map.of("Origin", "http://localhost:3000"), null);
        assertThat(allowed.header("Access-Control-Allow-Origin")).isEqualTo("http://localhost:3000");
        RawHttp.Response other = http.send("GET", "/health", Map.of("Origin", "http://evil.example"), null);
        assertThat(other.status()).isEqualTo(200);
        assertThat(other.header("Access-Control-Allow-Origin")).isNull();

        RawHttp.Response preflight = http.send("OPTIONS", "/api/chat", Map.of("Origin", "http://127.0.0.1:3000",
                "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type"), null);
        assertThat(preflight.status()).isEqualTo(204);
        assertThat(preflight.header("Access-Control-Allow-Origin")).isEqualTo("http://127.0.0.1:3000");
        assertThat(preflight.header("Access-Control-Allow-Methods")).contains("POST");
        assertThat(preflight.header("Access-Control-Allow-Headers")).containsIgnoringCase("Content-Type");
    }
}
