package dev.airouter.backend;

import static dev.airouter.backend.TestJson.json;
import static dev.airouter.backend.TestJson.toJson;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.airouter.testing.HttpConnection;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RawHttp;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Everything a client can get wrong is a clear 4xx JSON error, never a 500 or a stack trace. */
@ExtendWith(NoLeftoverProcesses.class)
class BadRequestTest {
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

    private static JsonNode expectError(RawHttp.Response response, int status, String error) {
        assertThat(response.status()).as(response.text()).isEqualTo(status);
        assertThat(response.header("Content-Type")).startsWith("application/json");
        JsonNode body = json(response);
        assertThat(body.path("success").asBoolean(true)).isFalse();
        assertThat(body.path("error").asText()).isEqualTo(error);
        assertThat(body.path("details").asText()).isNotBlank();
        assertThat(response.text()).doesNotContain("Exception").doesNotContain("\tat ");
        return body;
    }

    @Test
    void malformedJsonIs400() {
        expectError(http.postJson("/api/chat", "{\"message\": \"hi\""), 400, "malformed JSON");
        expectError(http.postJson("/api/chat", "{\"message\": \"hi\"} trailing"), 400, "malformed JSON");
        expectError(http.postJson("/api/chat", "{\"message\": \"a\", \"message\": \"b\"}"), 400, "malformed JSON");
        expectError(http.postJson("/api/chat", "["), 400, "malformed JSON");
        expectError(http.postJson("/api/chat", ""), 400, "request body is empty");
    }

    @Test
    void nonObjectBodiesAre400() {
        for (String body : new String[] {"[]", "\"hello\"", "42", "null", "true"}) {
            expectError(http.postJson("/api/chat", body), 400, "request body must be a JSON object");
        }
    }

    @Test
    void badMessagesAre400() {
        expectError(http.postJson("/api/chat", "{}"), 400, "message is required");
        expectError(http.postJson("/api/chat", "{\"message\": null}"), 400, "message is required");
        expectError(http.postJson("/api/chat", "{\"message\": 42}"), 400, "message must be a string");
        expectError(http.postJson("/api/chat", "{\"message\": [\"a\"]}"), 400, "message must be a string");
        expectError(http.postJson("/api/chat", "{\"message\": \"\"}"), 400, "message is empty");
        expectError(http.postJson("/api/chat", "{\"message\": \" \\t\\n\\u00a0\\u3000\"}"), 400, "message is empty");
        expectError(http.postJson("/api/chat", "{\"message\": \"\\ud800 lone\"}"), 400, "message is not valid Unicode");
        String tooLong = "😀".repeat(8001); // 8,001 code points, 16,002 UTF-16 units
        JsonNode body = expectError(http.postJson("/api/chat", toJson(Map.of("message", tooLong))), 400, "message too long");
        assertThat(body.path("details").asText()).contains("8001").contains("8000");
        assertThat(http.postJson("/api/chat", toJson(Map.of("message", "😀".repeat(8000)))).status()).isEqualTo(200);
    }

    @Test
    void badSessionIdsAre400() {
        expectError(http.postJson("/api/chat", "{\"message\": \"hi\", \"sessionId\": 7}"), 400, "invalid sessionId");
        expectError(http.postJson("/api/chat", "{\"message\": \"hi\", \"sessionId\": \"a b\"}"), 400, "invalid sessionId");
        expectError(http.postJson("/api/chat", "{\"message\": \"hi\", \"sessionId\": \"\"}"), 400, "invalid sessionId");
        expectError(http.postJson("/api/chat", toJson(Map.of("message", "hi", "sessionId", "x".repeat(129)))), 400,
                "invalid sessionId");
        expectError(http.get("/api/sessions/bad%20id"), 400, "invalid sessionId");
        expectError(http.delete("/api/sessions/bad.id"), 400, "invalid sessionId");
        expectError(http.postJson("/api/chat/clear", "{}"), 400, "invalid sessionId");
        expectError(http.postJson("/api/chat/clear", "{\"sessionId\": \"../etc\"}"), 400, "invalid sessionId");
        expectError(http.postJson("/api/chat", "{\"message\": \"hi\", \"useHistory\": \"yes\"}"), 400, "invalid useHistory");
        expectError(http.postJson("/api/chat", "{\"message\": \"hi\", \"agent\": 3}"), 400, "invalid agent");
    }

    @Test
    void unknownSessionIs404AndUnknownValidIdStartsOne() {
        expectError(http.get("/api/sessions/never-seen-1"), 404, "session not found");
        RawHttp.Response created = http.postJson("/api/chat", toJson(Map.of("message", "hi", "sessionId", "brand-new-1")));
        assertThat(created.status()).isEqualTo(200);
        assertThat(json(created).path("sessionId").asText()).isEqualTo("brand-new-1");
        assertThat(http.get("/api/sessions/brand-new-1").status()).isEqualTo(200);
    }

    @Test
    void unknownAgentIs400ListingTheRoutersAgents() {
        JsonNode body = expectError(http.postJson("/api/chat", toJson(Map.of("message", "hi", "agent", "no-such-agent"))),
                400, "unknown agent");
        assertThat(body.path("details").asText()).startsWith("unknown agent 'no-such-agent'; valid agents: general-chat,")
                .contains("calculator");
    }

    @Test
    void invalidUtf8Is400() {
        byte[] body = "{\"message\": \"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1); // é as a lone 0xE9
        JsonNode error = expectError(http.send("POST", "/api/chat", Map.of("Content-Type", "application/json"), body),
                400, "request body is not valid UTF-8");
        assertThat(error.path("details").asText()).contains("byte offset 16");
    }

    @Test
    void nonJsonContentTypeIs415() {
        byte[] body = "{\"message\": \"hi\"}".getBytes(StandardCharsets.UTF_8);
        expectError(http.send("POST", "/api/chat", Map.of("Content-Type", "text/plain"), body), 415,
                "unsupported media type");
        expectError(http.send("POST", "/api/chat", Map.of("Content-Type", "application/x-www-form-urlencoded"), body),
                415, "unsupported media type");
        expectError(http.send("POST", "/api/chat", Map.of(), body), 415, "unsupported media type");
        expectError(http.send("POST", "/api/chat", Map.of("Content-Type", "application/json; charset=latin1"), body),
                415, "unsupported media type");
        assertThat(http.send("POST", "/api/chat", Map.of("Content-Type", "application/json; charset=UTF-8"), body)
                .status()).isEqualTo(200);
    }

    @Test
    void unknownPathIs404AndWrongMethodIs405WithAllow() {
        expectError(http.get("/api/nope"), 404, "not found");
        expectError(http.get("/"), 404, "not found");
        expectError(http.get("/api/sessions/"), 404, "not found");
        expectError(http.get("/api/sessions/a/b"), 404, "not found");
        RawHttp.Response wrong = http.get("/api/chat");
        expectError(wrong, 405, "method not allowed");
        assertThat(wrong.header("Allow")).contains("POST");
        RawHttp.Response put = http.send("PUT", "/api/sessions/abc", Map.of(), new byte[0]);
        expectError(put, 405, "method not allowed");
        assertThat(put.header("Allow")).contains("GET").contains("DELETE");
        RawHttp.Response post = http.postJson("/health", "{}");
        expectError(post, 405, "method not allowed");
        assertThat(post.header("Allow")).contains("GET");
    }

    @Test
    void bodyOverTheLimitIs413EvenWhenFullySent() {
        byte[] big = new byte[2 * 1024 * 1024];
        Arrays.fill(big, (byte) 'a');
        expectError(http.send("POST", "/api/chat", Map.of("Content-Type", "application/json"), big), 413,
                "request body too large");
    }

    @Test
    void declaredLengthOverTheLimitIs413BeforeAnyBodyIsSent() throws Exception {
        try (HttpConnection connection = RawHttp.keepAlive(backend.url(), Duration.ofSeconds(5))) {
            OutputStream out = connection.output();
            out.write(("POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Expect: 100-continue\r\nContent-Length: 10000000000\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            RawHttp.Response response = connection.readResponse();
            expectError(response, 413, "request body too large");
            assertThat(response.header("Connection")).isEqualToIgnoringCase("close");
        }
    }

    @Test
    void chunkedBodyOverTheLimitIs413() throws Exception {
        try (HttpConnection connection = RawHttp.keepAlive(backend.url(), Duration.ofSeconds(5))) {
            OutputStream out = connection.output();
            out.write(("POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) 'a');
            RawHttp.Response response = null;
            for (int i = 0; i < 40 && response == null; i++) { // up to 2.5 MiB, stop once answered
                try {
                    out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.write(chunk);
                    out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                } catch (java.io.IOException e) {
                    break; // the server answered and closed; read the answer below
                }
                if (connection.available() > 0) {
                    response = connection.readResponse();
                }
            }
            if (response == null) {
                response = connection.readResponse();
            }
            expectError(response, 413, "request body too large");
        }
    }
}
