package dev.airouter.backend;

import static dev.airouter.backend.TestJson.toJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.airouter.lifecycle.ManagedProcess;
import dev.airouter.testing.FreePorts;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RawHttp;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A hundred clients that open a stream and do not read it, while the model writes a reply of
 * megabytes: each stream ends at its buffer bound with an {@code error} event, the router calls are
 * cancelled (the model sees every request abandoned), and the heap stays flat — Undertow's own SSE
 * connection would queue each reply whole.
 */
@ExtendWith(NoLeftoverProcesses.class)
class SlowReaderStreamTest {
    private static final int STREAMS = 100;
    private static final int BUFFER = 16 * 1024;

    @Test
    void streamsThatAreNotReadEndAtTheirBoundWithAnErrorAndTheHeapStaysBounded() throws Exception {
        int port = FreePorts.next();
        // each token a 2 KiB word: 8,000 tokens make a 16 MiB reply per stream, four times the largest socket
        // send buffer Linux grows to by default (tcp_wmem's 4 MiB), so no reply can fit into the kernel's
        // buffers and finish there before its stream is cut (with 4 MiB replies, 2 of 100 streams once did);
        // at most 500 tokens a second: every request must be seen abandoned
        String word = "x".repeat(2047) + " ";
        try (ManagedProcess llm = StreamContractSupport.model(port, "--tokens", "8000", "--rate", "500", "--text", word)) {
            URI llmUrl = URI.create("http://127.0.0.1:" + port);
            ChatBackend backend = ChatBackend.create(TestBackends.memory()
                    .routerEnvironment(Map.of("ROUTER_LLM_URL", llmUrl + "/v1"))
                    .maxInFlight(STREAMS + 20).streamBufferBytes(BUFFER).maxReplyBytes(64 * 1024 * 1024)
                    .build()).start();
            List<Socket> clients = new ArrayList<>();
            try {
                long before = heapAfterGc();
                byte[] body = toJson(Map.of("message", "Tell me everything", "agent", "information-retrieval"))
                        .getBytes(StandardCharsets.UTF_8);
                byte[] request = ("POST /api/chat/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < STREAMS; i++) {
                    Socket s = new Socket();
                    s.setReceiveBufferSize(4096); // before connecting: a small window, so the bound is reached soon
                    s.connect(new InetSocketAddress("127.0.0.1", backend.port()), 10_000);
                    s.getOutputStream().write(request);
                    s.getOutputStream().write(body);
                    s.getOutputStream().flush();
                    clients.add(s);
                }
                // every stream reaches its bound: its router call is cancelled, which the model sees
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
                    List<JsonNode> requests = TestJson.json(RawHttp.to(llmUrl).get("/requests")).path("requests")
                            .findParents("outcome");
                    return requests.size() == STREAMS && requests.stream().allMatch(r -> r.path("outcome").asText()
                            .equals("abandoned"));
                });
                long during = heapAfterGc();
                System.out.printf("[stream] %d unread streams: heap %.1f MiB before, %.1f MiB with all of them stalled"
                        + " (bound %d KiB each)%n", STREAMS, before / 1048576.0, during / 1048576.0, BUFFER / 1024);
                assertThat(during - before).as("heap growth with %d stalled streams", STREAMS)
                        .isLessThan(64L * 1024 * 1024);
                for (Socket s : clients) {
                    s.setSoTimeout(30_000);
                    String text = readAll(s.getInputStream());
                    assertThat(text).startsWith("HTTP/1.1 200").contains("event: meta");
                    int last = text.lastIndexOf("event: ");
                    assertThat(text.substring(last)).startsWith("event: error").contains("client too slow")
                            .contains("\"interrupted\":true");
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> backend.routerStatus().replicas().stream()
                        .allMatch(r -> r.inFlight() == 0));
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
                backend.stop();
            }
        }
    }

    /** The response up to the last chunk of its chunked body. */
    private static String readAll(InputStream in) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[65536];
        int n;
        while ((n = in.read(buffer)) > 0) {
            out.write(buffer, 0, n);
            String tail = new String(out.toByteArray(), Math.max(0, out.size() - 16), Math.min(16, out.size()),
                    StandardCharsets.ISO_8859_1);
            if (tail.endsWith("\r\n0\r\n\r\n")) {
                break;
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
