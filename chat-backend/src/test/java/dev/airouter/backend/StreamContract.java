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
 * Streamed replies end to end: the backend, the real bundled router and the stand-in language model.
 * Run once per session store.
 */
abstract class StreamContract extends StreamContractSupport {
    static ChatBackend backend;

    /** Starts the stand-in model and a backend whose router uses it, with {@code store}. */
    static void start(SessionStoreConfig store) throws InterruptedException {
        startModel();
        backend = ChatBackend.create(TestBackends.base(0, 0).storeConfig(store)
                .routerEnvironment(Map.of("ROUTER_LLM_URL", llmUrl + "/v1", "ROUTER_LLM_TIMEOUT", "20"))
                .maxInFlight(400)
                .streamHeartbeat(Duration.ofSeconds(1))
                .build()).start();
    }

    @AfterAll
    static void stopBackend() {
        if (backend != null) {
            backend.stop();
            backend = null;
        }
    }

    static JsonNode lastMessage(String sessionId) {
        return lastMessage(backend, sessionId);
    }

    @Test
    void deltasArriveInOrderAndConcatenateToDoneAndToWhatTheSessionStores() throws Exception {
        configure(Map.of("tokens", 60, "rate", 200));
        String id = session();
        try (HttpConnection c = RawHttp.keepAlive(backend.url(), WAIT); ResponseStream s = open(c, id, "Find me the news")) {
            assertThat(next(s).event()).isEqualTo("meta");
            StringBuilder text = new StringBuilder();
            int deltas = 0;
            ResponseStream.ServerSentEvent e;
            while ((e = next(s)).event().equals("delta")) {
                text.append(data(e).path("text").asText());
                deltas++;
            }
            assertThat(e.event()).isEqualTo("done");
            assertThat(deltas).isGreaterThanOrEqualTo(60);
            JsonNode done = data(e);
            assertThat(done.path("message").asText()).isEqualTo(text.toString());
            assertThat(text.toString()).contains("🚀").contains("\n").contains("\"").contains("\\");
            assertThat(done.path("metadata").path("agent").asText()).isEqualTo(LLM_AGENT);
            assertThat(s.nextEvent(WAIT)).isEmpty();
            JsonNode stored = lastMessage(id);
            assertThat(stored.path("content").asText()).isEqualTo(text.toString());
            assertThat(stored.path("metadata").path("interrupted").isMissingNode()).isTrue();
        }
        assertThat(modelRequests()).singleElement().satisfies(r -> {
            assertThat(r.path("stream").asBoolean()).isTrue();
            assertThat(r.path("outcome").asText()).isEqualTo("completed");
        });
    }

    @Test
    void disconnectMidStreamReachesTheModelAndStoresThePartialReplyAsInterrupted() throws Exception {
        configure(Map.of("tokens", 400, "rate", 40));
        assertAbandon(3, "mid-stream");
    }

    @Test
    void disconnectWhileTheModelPausesReachesItBeforeThePauseEnds() throws Exception {
        configure(Map.of("tokens", 40, "rate", 0, "pause_after", 5, "pause_ms", 5000));
        assertAbandon(5, "during a 5 s pause");
    }

    @Test
    void disconnectBeforeTheFirstTokenReachesTheModel() throws Exception {
        configure(Map.of("tokens", 40, "rate", 0, "first_token_delay_ms", 5000));
        assertAbandon(0, "before the first token");
    }

    /** Reads meta and {@code deltas} deltas, disconnects, and checks the model saw it and the session kept the part. */
    private void assertAbandon(int deltas, String when) throws Exception {
        String id = session();
        StringBuilder seen = new StringBuilder();
        long closed;
        try (HttpConnection c = RawHttp.keepAlive(backend.url(), WAIT); ResponseStream s = open(c, id, "Research this for me")) {
            assertThat(next(s).event()).isEqualTo("meta");
            for (int i = 0; i < deltas; i++) {
                ResponseStream.ServerSentEvent e = next(s);
                assertThat(e.event()).isEqualTo("delta");
                seen.append(data(e).path("text").asText());
            }
            await().atMost(WAIT).until(() -> modelRequests().size() == 1);
            closed = System.currentTimeMillis();
        } // closes the connection: the client went away
        JsonNode request = await().atMost(Duration.ofSeconds(4)).until(() -> modelRequests().get(0),
                r -> r.path("outcome").asText().equals("abandoned"));
        double millis = request.path("ended_ns").asLong() / 1e6 - closed;
        System.out.printf("[stream] %s: the model saw the client leave %.0f ms after it closed%n", when, millis);
        JsonNode stored = await().atMost(WAIT).until(() -> lastMessage(id), m -> m.path("role").asText().equals("assistant"));
        assertThat(stored.path("metadata").path("interrupted").asBoolean()).isTrue();
        assertThat(stored.path("metadata").path("interruption").asText()).contains("client");
        assertThat(stored.path("content").asText()).startsWith(seen.toString());
    }

    @Test
    void heartbeatsKeepAQuietStreamAlive() throws Exception {
        configure(Map.of("tokens", 3, "rate", 0, "pause_after", 1, "pause_ms", 3000));
        try (HttpConnection c = RawHttp.keepAlive(backend.url(), WAIT); ResponseStream s = open(c, session(), "Look it up")) {
            List<String> chunks = new ArrayList<>();
            Optional<byte[]> chunk;
            while ((chunk = s.nextChunk(WAIT)).isPresent()) {
                chunks.add(new String(chunk.get(), StandardCharsets.UTF_8));
            }
            assertThat(String.join("", chunks)).contains(": keep-alive\n\n").contains("event: done");
        }
    }
}
