package dev.airouter.backend;

import static dev.airouter.backend.TestJson.toJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RawHttp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** W3C {@code traceparent}: validation, a new trace when it is missing or malformed, and the id reaching the router's log. */
@ExtendWith(NoLeftoverProcesses.class)
class TraceContextTest {
    private static final String VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void aValidHeaderKeepsItsTraceAndFlagsWithANewSpan() {
        TraceContext trace = TraceContext.acceptOrStart(VALID);
        assertThat(trace.traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(trace.flags()).isEqualTo("01");
        assertThat(trace.spanId()).matches("[0-9a-f]{16}").isNotEqualTo("00f067aa0ba902b7").isNotEqualTo("0".repeat(16));
        assertThat(trace.header()).isEqualTo("00-4bf92f3577b34da6a3ce929d0e0e4736-" + trace.spanId() + "-01");
        assertThat(TraceContext.acceptOrStart(" " + VALID.replace("-01", "-00") + " ").flags()).isEqualTo("00");
        // a later version may append fields after a dash
        assertThat(TraceContext.acceptOrStart("cc" + VALID.substring(2) + "-what-the-future-holds").traceId())
                .isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "garbage",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",          // short
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",   // version 00 has no more fields
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",         // upper case
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",         // zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",         // zero parent id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",         // version ff
        "00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01",         // not hex
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",         // separators
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",        // later version, no dash after
    })
    void aMalformedHeaderStartsANewTrace(String header) {
        assertThat(TraceContext.valid(header)).isFalse();
        TraceContext trace = TraceContext.acceptOrStart(header);
        assertThat(trace.traceId()).matches("[0-9a-f]{32}").isNotEqualTo("0".repeat(32))
                .isNotEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(trace.flags()).isEqualTo("01");
    }

    @Test
    void theBackendReturnsTheTraceAndTheRouterLogsIt() throws Exception {
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().build()).start()) {
            Path logs = backend.config().logDir();
            RawHttp http = RawHttp.to(backend.url());
            RawHttp.Response chat = http.send("POST", "/api/chat", Map.of("Content-Type", "application/json",
                    "traceparent", VALID), toJson(Map.of("message", "trace me")).getBytes(StandardCharsets.UTF_8));
            assertThat(chat.status()).isEqualTo(200);
            String returned = chat.header("traceparent");
            assertThat(returned).startsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-").endsWith("-01")
                    .isNotEqualTo(VALID);

            String malformed = "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01";
            RawHttp.Response other = http.send("POST", "/api/chat", Map.of("Content-Type", "application/json",
                    "traceparent", malformed), toJson(Map.of("message", "trace me")).getBytes(StandardCharsets.UTF_8));
            String fresh = other.header("traceparent");
            assertThat(fresh).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01").doesNotContain("4bf92f3577b34da6a3ce929d0e0e4736");
            assertThat(http.get("/health").header("traceparent")).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");

            Path routerLog = logs.resolve("ai-router.log");
            String freshId = fresh.substring(3, 35);
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                String log = Files.readString(routerLog);
                return log.contains("trace=4bf92f3577b34da6a3ce929d0e0e4736") && log.contains("trace=" + freshId);
            });
            assertThat(Files.readString(routerLog)).doesNotContain("0000000000000000");
        }
    }
}
