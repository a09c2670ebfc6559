package dev.airouter.backend;

import static dev.airouter.backend.TestJson.json;
import static dev.airouter.backend.TestJson.toJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.airouter.lifecycle.ReplicaEvent;
import dev.airouter.testing.HttpConnection;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.Processes;
import dev.airouter.testing.RawHttp;
import dev.airouter.testing.ResponseStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * How a stream ends other than with {@code done}: the router silent too long, the stream too long,
 * the reply too long, the router dying mid-reply, the backend stopping — each an {@code error} event
 * with the partial reply stored as interrupted —, a router dying before its first event (retried on
 * another replica: the client sees nothing of it), and streams counting against the in-flight limit.
 * Each test has a backend of its own (its limits), the stand-in model is shared.
 */
@ExtendWith(NoLeftoverProcesses.class)
class StreamEndingsTest extends StreamContractSupport {
    private ChatBackend own;

    @BeforeAll
    static void start() throws InterruptedException {
        startModel();
    }

    @AfterEach
    void stopOwn() {
        if (own != null) {
            own.stop();
        }
    }

    private ChatBackend backend(java.util.function.UnaryOperator<BackendConfig.Builder> limits) throws InterruptedException {
        own = ChatBackend.create(limits.apply(TestBackends.memory()
                .routerEnvironment(Map.of("ROUTER_LLM_URL", llmUrl + "/v1"))).build()).start();
        return own;
    }

    /** Reads a stream to its end: the text of its deltas, and its last event. */
    private record Ending(String text, ResponseStream.ServerSentEvent last) {}

    private static Ending readToEnd(ResponseStream s) throws Exception {
        StringBuilder text = new StringBuilder();
        ResponseStream.ServerSentEvent last = null;
        java.util.Optional<ResponseStream.ServerSentEvent> e;
        while ((e = s.nextEvent(WAIT)).isPresent()) {
            last = e.get();
            if (last.event().equals("delta")) {
                text.append(data(last).path("text").asText());
            }
        }
        assertThat(last).as("the stream's last event").isNotNull();
        return new Ending(text.toString(), last);
    }

    private static void assertInterrupted(ChatBackend backend, String id, Ending ending, String error, String why)
            throws Exception {
        assertThat(ending.last().event()).isEqualTo("error");
        JsonNode data = data(ending.last());
        assertThat(data.path("success").asBoolean(true)).isFalse();
        assertThat(data.path("error").asText()).isEqualTo(error);
        assertThat(data.path("interrupted").asBoolean()).isTrue();
        JsonNode stored = lastMessage(backend, id);
        assertThat(stored.path("role").asText()).isEqualTo("assistant");
        assertThat(stored.path("content").asText()).isEqualTo(ending.text());
        assertThat(stored.path("metadata").path("interrupted").asBoolean()).isTrue();
        assertThat(stored.path("metadata").path("interruption").asText()).contains(why);
    }

    @Test
    void aRouterSilentForTheIdleTimeoutEndsTheStream() throws Exception {
        ChatBackend b = backend(c -> c.streamIdleTimeout(Duration.ofSeconds(1)));
        configure(Map.of("tokens", 10, "rate", 0, "pause_after", 2, "pause_ms", 4000));
        String id = session();
        try (HttpConnection c = RawHttp.keepAlive(b.url(), WAIT); ResponseStream s = open(c, id, "Research this")) {
            Ending ending = readToEnd(s);
            assertThat(ending.text()).isNotEmpty();
            assertInterrupted(b, id, ending, "router timeout", "streamIdleTimeout");
        }
    }

    @Test
    void aStreamLongerThanItsMaximumEnds() throws Exception {
        ChatBackend b = backend(c -> c.streamMaxDuration(Duration.ofSeconds(2)));
        configure(Map.of("tokens", 1000, "rate", 10));
        String id = session();
        try (HttpConnection c = RawHttp.keepAlive(b.url(), WAIT); ResponseStream s = open(c, id, "Research this")) {
            long t0 = System.nanoTime();
            Ending ending = readToEnd(s);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));
            assertInterrupted(b, id, ending, "stream too long", "streamMaxDuration");
        }
    }

    @Test
    void aReplyLongerThanItsMaximumIsCutThereAndKept() throws Exception {
        ChatBackend b = backend(c -> c.maxReplyBytes(2048));
        configure(Map.of("tokens", 2000, "rate", 0));
        String id = session();
        try (HttpConnection c = RawHttp.keepAlive(b.url(), WAIT); ResponseStream s = open(c, id, "Research this")) {
            Ending ending = readToEnd(s);
            assertThat(ending.text().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(2048)
                    .isGreaterThan(1024);
            assertInterrupted(b, id, ending, "reply too long", "maxReplyBytes");
        }
    }

    @Test
    void aRouterThatDiesMidReplyEndsTheStreamWithTheReplySoFarKept() throws Exception {
        ChatBackend b = backend(c -> c);
        configure(Map.of("tokens", 10, "rate", 0, "pause_after", 3, "pause_ms", 10_000));
        String id = session();
        try (HttpConnection c = RawHttp.keepAlive(b.url(), WAIT); ResponseStream s = open(c, id, "Research this")) {
            assertThat(next(s).event()).isEqualTo("meta");
            StringBuilder seen = new StringBuilder();
            for (int i = 0; i < 3; i++) {
                seen.append(data(next(s)).path("text").asText());
            }
            Processes.kill(b.routerStatus().pid().orElseThrow()); // SIGKILL, mid-reply
            Ending ending = readToEnd(s);
            assertThat(seen + ending.text()).isEqualTo(seen.toString());
            assertInterrupted(b, id, new Ending(seen.toString(), ending.last()), "router failed", "router failed mid-reply");
        }
    }

    @Test
    void aRouterThatDiesBeforeItsFirstEventIsRetriedOnAnotherReplica() throws Exception {
        Path counter = TestBackends.tempDir().resolve("starts");
        List<ReplicaEvent> events = new CopyOnWriteArrayList<>();
        own = ChatBackend.create(TestBackends.memory().routers(2).routerCommand(TestBackends.oneCrashingRouter(counter))
                .routerEnvironment(Map.of("ROUTER_LLM_URL", llmUrl + "/v1")).build());
        own.addRouterListener(events::add);
        own.start();
        // each stream lasts a while, so the second of a pair goes to the other replica (least in flight)
        configure(Map.of("tokens", 4, "rate", 0, "pause_after", 1, "pause_ms", 300));
        for (int round = 0; round < 3; round++) {
            String[] ids = {session(), session()};
            try (HttpConnection c1 = RawHttp.keepAlive(own.url(), WAIT); HttpConnection c2 = RawHttp.keepAlive(own.url(), WAIT);
                    ResponseStream s1 = open(c1, ids[0], "Research this"); ResponseStream s2 = open(c2, ids[1], "And that")) {
                for (ResponseStream s : List.of(s1, s2)) {
                    assertThat(next(s).event()).isEqualTo("meta");
                }
                int i = 0;
                for (ResponseStream s : List.of(s1, s2)) {
                    Ending ending = readToEnd(s);
                    assertThat(ending.last().event()).as(ending.last().data()).isEqualTo("done");
                    assertThat(ending.text()).isNotEmpty();
                    assertThat(lastMessage(own, ids[i++]).path("content").asText()).isEqualTo(ending.text());
                }
            }
        }
        assertThat(events).as("the replica that dies on its first chat request was called, and died")
                .anyMatch(e -> e.kind() == ReplicaEvent.Kind.DOWN);
    }

    @Test
    void stoppingTheBackendEndsItsStreamsWithAnError() throws Exception {
        ChatBackend b = backend(c -> c);
        configure(Map.of("tokens", 10, "rate", 0, "pause_after", 1, "pause_ms", 20_000));
        try (HttpConnection c = RawHttp.keepAlive(b.url(), WAIT); ResponseStream s = open(c, session(), "Research this")) {
            assertThat(next(s).event()).isEqualTo("meta");
            assertThat(next(s).event()).isEqualTo("delta");
            long t0 = System.nanoTime();
            Thread stopper = new Thread(b::stop);
            stopper.start();
            Ending ending = readToEnd(s);
            stopper.join(WAIT.toMillis());
            own = null;
            assertThat(ending.last().event()).isEqualTo("error");
            assertThat(data(ending.last()).path("error").asText()).isEqualTo("server stopping");
            assertThat(data(ending.last()).path("interrupted").asBoolean()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void streamsCountAgainstTheInFlightLimit() throws Exception {
        ChatBackend b = backend(c -> c.maxInFlight(2));
        configure(Map.of("tokens", 10, "rate", 0, "pause_after", 1, "pause_ms", 20_000));
        List<HttpConnection> held = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                HttpConnection c = RawHttp.keepAlive(b.url(), WAIT);
                held.add(c);
                ResponseStream s = open(c, session(), "Research this");
                assertThat(next(s).event()).isEqualTo("meta");
            }
            RawHttp.Response third = RawHttp.to(b.url()).postJson("/api/chat/stream",
                    toJson(Map.of("message", "Research this", "agent", LLM_AGENT)));
            assertThat(third.status()).isEqualTo(503);
            assertThat(json(third).path("error").asText()).isEqualTo("server busy");
        } finally {
            held.forEach(HttpConnection::close);
        }
        // the clients left: their permits come back
        await().atMost(WAIT).until(() -> RawHttp.to(b.url()).postJson("/api/chat",
                toJson(Map.of("message", "Hello"))).status() == 200);
    }
}
