package dev.airouter.backend;

import static dev.airouter.backend.TestJson.json;
import static dev.airouter.backend.TestJson.toJson;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airouter.testing.HttpConnection;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RawHttp;
import dev.airouter.testing.ResponseStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code POST /api/chat/stream} with the bundled router and its built-in agents, in-memory store. */
@ExtendWith(NoLeftoverProcesses.class)
class StreamBasicsTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(20);
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

    static List<ResponseStream.ServerSentEvent> readAll(ResponseStream stream) throws Exception {
        List<ResponseStream.ServerSentEvent> events = new ArrayList<>();
        Optional<ResponseStream.ServerSentEvent> e;
        while ((e = stream.nextEvent(WAIT)).isPresent()) {
            events.add(e.get());
        }
        return events;
    }

    static JsonNode data(ResponseStream.ServerSentEvent e) throws Exception {
        return MAPPER.readTree(e.data());
    }

    @Test
    void metaDeltasThenDoneWhichIsTheChatBodyAndWhatTheSessionStores() throws Exception {
        String id = "stream-basics-1";
        try (HttpConnection c = RawHttp.keepAlive(backend.url(), WAIT);
                ResponseStream s = c.stream("POST", "/api/chat/stream", Map.of("Content-Type", "application/json"),
                        toJson(Map.of("message", "Hello! What can you do?", "sessionId", id)).getBytes(StandardCharsets.UTF_8))) {
            assertThat(s.status()).isEqualTo(200);
            assertThat(s.header("Content-Type")).startsWith("text/event-stream");
            assertThat(s.header("Cache-Control")).isEqualTo("no-cache, no-transform");
            assertThat(s.header("X-Accel-Buffering")).isEqualTo("no");
            assertThat(s.header("Content-Encoding")).isNull();
            List<ResponseStream.ServerSentEvent> events = readAll(s);
            assertThat(events).extracting(ResponseStream.ServerSentEvent::event).startsWith("meta").endsWith("done");
            assertThat(events).extracting(ResponseStream.ServerSentEvent::id)
                    .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, events.size())
                            .mapToObj(Integer::toString).toList());
            JsonNode meta = data(events.get(0));
            assertThat(meta.path("sessionId").asText()).isEqualTo(id);
            assertThat(meta.path("agent").asText()).isNotBlank();
            StringBuilder text = new StringBuilder();
            for (ResponseStream.ServerSentEvent e : events.subList(1, events.size() - 1)) {
                assertThat(e.event()).isEqualTo("delta");
                text.append(data(e).path("text").asText());
            }
            JsonNode done = data(events.get(events.size() - 1));
            assertThat(done.path("success").asBoolean()).isTrue();
            assertThat(done.path("message").asText()).isEqualTo(text.toString()).isNotBlank();
            assertThat(done.path("sessionId").asText()).isEqualTo(id);
            assertThat(done.path("metadata").path("agent").asText()).isEqualTo(meta.path("agent").asText());
            assertThat(done.path("metadata").has("processingTime")).isTrue();
            // the connection is reusable after the stream
            RawHttp.Response session = c.get("/api/sessions/" + id);
            assertThat(session.status()).isEqualTo(200);
            JsonNode messages = json(session).path("messages");
            assertThat(messages).hasSize(2);
            assertThat(messages.get(0).path("content").asText()).isEqualTo("Hello! What can you do?");
            assertThat(messages.get(1).path("content").asText()).isEqualTo(text.toString());
            assertThat(messages.get(1).path("metadata").has("interrupted")).isFalse();
        }
    }

    @Test
    void errorsBeforeTheFirstEventAreOrdinaryJsonErrors() {
        RawHttp.Response empty = http.postJson("/api/chat/stream", "{\"message\":\"\"}");
        assertThat(empty.status()).isEqualTo(400);
        assertThat(empty.header("Content-Type")).startsWith("application/json");
        assertThat(json(empty).path("success").asBoolean(true)).isFalse();
        RawHttp.Response agent = http.postJson("/api/chat/stream", "{\"message\":\"hi\",\"agent\":\"nobody\"}");
        assertThat(agent.status()).isEqualTo(400);
        assertThat(json(agent).path("details").asText()).contains("unknown agent");
        RawHttp.Response get = http.get("/api/chat/stream");
        assertThat(get.status()).isEqualTo(405);
    }
}
