package com.example.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airouter.backend.BackendConfig;
import dev.airouter.backend.BundledRouter;
import dev.airouter.backend.ChatBackend;
import dev.airouter.session.SessionStoreConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README "Use it from your build": ChatBackend embedded in an application that has only the published
 * artifacts. The Python router comes from the python-router jar (runtime dependency): no directory is
 * configured, and there is no checkout of its sources. Two chat turns over HTTP; after close() no
 * router process is left.
 */
class EmbeddedBackendTest {
    private static final Pattern HISTORY = Pattern.compile("\"historyLength\"\\s*:\\s*(\\d+)");

    @Test
    void chatsTwoTurnsWithTheBundledRouter() throws Exception {
        assertTrue(BundledRouter.isAvailable(), "the python-router jar should be on the test class path");
        Path logs = Files.createTempDirectory("consumer-backend-");
        List<ProcessHandle> routers;
        HttpClient http = HttpClient.newHttpClient();
        // --- README snippet ---
        BackendConfig config = BackendConfig.builder()
                .port(0)                                             // any free port
                .routerPort(0)                                       // free ports for the router, never adopt one
                .logDir(logs)
                .storeConfig(SessionStoreConfig.builder().redisUrl("none").build())
                .build();                                            // no routerDirectory: the bundled router runs
        try (ChatBackend backend = ChatBackend.create(config).start()) {
            URI chat = backend.url().resolve("/api/chat");
            String first = post(http, chat, "{\"message\":\"What is 2 + 2?\",\"sessionId\":\"consumer-1\"}");
            String second = post(http, chat, "{\"message\":\"And times 3?\",\"sessionId\":\"consumer-1\"}");
            assertEquals(2, historyLength(second), "the second turn sees the first: " + second);
            routers = ProcessHandle.current().descendants().toList();
            assertTrue(first.contains("\"success\":true") && !routers.isEmpty(), first);
        }                                                            // close(): drains, stops the router
        // --- end of snippet ---
        for (ProcessHandle router : routers) {
            Ports.await("router pid " + router.pid() + " gone", Duration.ofSeconds(10),
                    () -> !LifecycleExampleTest.alive(router.pid()));
        }
    }

    private static String post(HttpClient http, URI uri, String json) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }

    private static int historyLength(String body) {
        Matcher m = HISTORY.matcher(body);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }
}
