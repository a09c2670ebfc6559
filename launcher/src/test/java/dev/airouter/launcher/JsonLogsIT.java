package dev.airouter.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airouter.testing.NoLeftoverProcesses;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code launcher backend --log-format json}, as a real process with the bundled router: every line
 * of {@code backend.log} and {@code ai-router.log} is a JSON object with the same field names, and
 * one request's trace id (sent as a W3C {@code traceparent}) and request id are found in both logs;
 * message content never is.
 */
@ExtendWith(NoLeftoverProcesses.class)
class JsonLogsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
    @TempDir Path tmp;

    @Test
    void oneRequestIsFoundInBothLogsByItsTraceId() throws Exception {
        Path logs = tmp.resolve("logs");
        try (LauncherProcess l = LauncherProcess.start(List.of("backend", "--backend-port", "0", "--router-port", "0",
                "--redis-url", "none", "--log-dir", logs.toString(), "--log-format", "json"))) {
            String backend = l.group("\\[launcher\\]\\s+backend:\\s+(\\S+)", TwoLaunchersIT.START);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<String> chat = http.send(HttpRequest.newBuilder(URI.create(backend.replaceAll("/$", "")
                            + "/api/chat"))
                    .header("Content-Type", "application/json")
                    .header("traceparent", "00-" + TRACE + "-b7ad6b7169203331-01")
                    .header("X-Request-Id", "json-logs-1")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"a secret plan\",\"sessionId\":\"jsonlogs-session-1\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
            assertThat(chat.headers().firstValue("traceparent").orElseThrow()).startsWith("00-" + TRACE + "-");

            Path backendLog = logs.resolve("backend.log");
            Path routerLog = logs.resolve("ai-router.log");
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> lines(backendLog).stream().anyMatch(n -> TRACE.equals(
                    n.path("trace_id").asText())) && lines(routerLog).stream().anyMatch(n -> TRACE.equals(
                    n.path("trace_id").asText())));

            JsonNode access = lines(backendLog).stream().filter(n -> TRACE.equals(n.path("trace_id").asText()))
                    .filter(n -> n.path("logger").asText().equals("dev.airouter.backend.access")).findFirst().orElseThrow();
            assertThat(access.path("request_id").asText()).isEqualTo("json-logs-1");
            assertThat(access.path("session").asText()).isEqualTo("jsonlogs");
            assertThat(access.path("method").asText()).isEqualTo("POST");
            assertThat(access.path("path").asText()).isEqualTo("/api/chat");
            assertThat(access.path("status").asInt()).isEqualTo(200);
            assertThat(access.path("duration_ms").isNumber()).isTrue();
            assertThat(access.path("level").asText()).isEqualTo("INFO");
            assertThat(access.path("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");

            JsonNode routed = lines(routerLog).stream().filter(n -> TRACE.equals(n.path("trace_id").asText()))
                    .filter(n -> n.path("logger").asText().equals("ai_router.access")).findFirst().orElseThrow();
            assertThat(routed.path("request_id").asText()).isEqualTo("json-logs-1");
            assertThat(routed.path("status").asInt()).isEqualTo(200);
            assertThat(routed.path("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
            for (String field : List.of("timestamp", "level", "logger", "message", "request_id", "trace_id", "method",
                    "path", "status", "duration_ms")) {
                assertThat(access.has(field)).as("backend access line has " + field + ": " + access).isTrue();
                assertThat(routed.has(field)).as("router access line has " + field + ": " + routed).isTrue();
            }
            assertThat(Files.readString(backendLog) + Files.readString(routerLog)).doesNotContain("secret plan");

            l.signal("INT");
            assertThat(l.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(l.process.exitValue()).isZero();
            // every line, the start and stop lines of both included, is one JSON object
            assertThat(lines(backendLog)).hasSizeGreaterThan(3);
            assertThat(lines(routerLog)).hasSizeGreaterThan(3);
        }
    }

    @Test
    void anUnknownLogFormatIsAUsageError() throws Exception {
        LauncherCliTest.Result result = LauncherCliTest.run("backend", "--log-format", "xml", "--log-dir",
                tmp.resolve("logs").toString());
        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).contains("--log-format").contains("xml").contains("text, json");
    }

    /** Every line of the file as JSON; fails naming the line that is not an object. */
    private static List<JsonNode> lines(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (IOException e) {
                throw new AssertionError(file.getFileName() + " has a line that is not JSON: " + line, e);
            }
            if (node == null || !node.isObject()) {
                throw new AssertionError(file.getFileName() + " has a line that is not a JSON object: " + line);
            }
            out.add(node);
        }
        return out;
    }
}
