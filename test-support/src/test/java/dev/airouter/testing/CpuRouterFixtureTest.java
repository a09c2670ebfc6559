package dev.airouter.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoLeftoverProcesses.class)
class CpuRouterFixtureTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void calibrationPrintsLoopsForTheCpuTime() throws Exception {
        Process p = new ProcessBuilder(Fixtures.cpuRouterCalibration(10)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(Long.parseLong(out)).isPositive();
    }

    @Test
    void answersHealthLikeAiRouterAndRouteWithTheProtocolFields() throws Exception {
        int port = FreePorts.next();
        ProcessBuilder pb = new ProcessBuilder(Fixtures.cpuRouter(1000)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("ROUTER_PORT", Integer.toString(port));
        Process router = pb.start();
        try {
            RawHttp http = RawHttp.to(URI.create("http://127.0.0.1:" + port)).withTimeout(TIMEOUT);
            await().atMost(TIMEOUT).until(() -> FreePorts.isAccepting(port));

            String health = http.get("/health").text();
            assertThat(health).contains("\"status\": \"ok\"", "\"service\": \"ai-router\"",
                    "\"pid\": " + router.pid(), "\"loops\": 1000");

            RawHttp.Response route = http.postJson("/route", "{\"query\":\"hello\",\"session_id\":\"s1\","
                    + "\"history\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\"}]}");
            assertThat(route.status()).isEqualTo(200);
            assertThat(route.text()).contains("\"success\": true", "\"agent\": \"general-chat\"", "\"confidence\": ",
                    "\"content\": \"cpu router: 5 characters, 2 history messages\"", "\"reasoning\": ",
                    "\"classification_latency_ms\": ", "\"latency_ms\": ", "\"fallback_triggered\": false");
            assertThat(http.postJson("/route", "{\"history\":[]}").status()).isEqualTo(400);
        } finally {
            router.destroy(); // SIGTERM: the fixture exits at once
            assertThat(router.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void routeKeepsOneConnectionAliveAcrossRequests() throws IOException, InterruptedException {
        int port = FreePorts.next();
        ProcessBuilder pb = new ProcessBuilder(Fixtures.cpuRouter(1000)).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("ROUTER_PORT", Integer.toString(port));
        Process router = pb.start();
        try (HttpConnection c = RawHttp.keepAlive("127.0.0.1", port, TIMEOUT)) {
            await().atMost(TIMEOUT).until(() -> FreePorts.isAccepting(port));
            byte[] body = "{\"query\":\"[no-cpu] hi\"}".getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < 20; i++) {
                assertThat(c.postForStatus("/route", "application/json", body)).isEqualTo(200);
            }
            assertThat(c.isOpen()).isTrue();
        } finally {
            router.destroy();
            assertThat(router.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        }
    }
}
