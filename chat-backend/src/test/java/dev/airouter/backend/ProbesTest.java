package dev.airouter.backend;

import static dev.airouter.backend.TestJson.toJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.airouter.lifecycle.RestartPolicy;
import dev.airouter.session.SessionStoreConfig;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RawHttp;
import dev.airouter.testing.RedisServer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code /livez} and {@code /readyz} with real routers and a real Redis: ready, the router down, the
 * store down, and the order of a graceful stop ({@code /readyz} 503 first, chat still served for the
 * shutdown delay, then the drain).
 */
@ExtendWith(NoLeftoverProcesses.class)
class ProbesTest {

    @Test
    void readyAndLiveWithVerboseChecks() throws Exception {
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().build()).start()) {
            RawHttp http = RawHttp.to(backend.url());
            RawHttp.Response live = http.get("/livez");
            assertThat(live.status()).isEqualTo(200);
            assertThat(live.text()).isEqualTo("ok\n");
            assertThat(live.header("Content-Type")).startsWith("text/plain");
            RawHttp.Response ready = http.get("/readyz");
            assertThat(ready.status()).isEqualTo(200);
            assertThat(ready.text()).isEqualTo("ok\n");
            RawHttp.Response verbose = http.get("/readyz?verbose");
            assertThat(verbose.status()).isEqualTo(200);
            assertThat(verbose.text()).contains("[+]shutdown ok\n", "[+]router ok\n", "[+]store ok\n")
                    .endsWith("readyz check passed\n");
            assertThat(http.get("/livez?verbose").text()).isEqualTo("[+]ping ok\nlivez check passed\n");
        }
    }

    @Test
    void notReadyWhileTheOnlyRouterIsDownButStillLive() throws Exception {
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().routers(1)
                .restartPolicy(RestartPolicy.never()).build()).start()) {
            RawHttp http = RawHttp.to(backend.url());
            long pid = backend.routerStatus().pid().orElseThrow();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            await().atMost(Duration.ofSeconds(30)).until(() -> http.get("/readyz").status() == 503);
            RawHttp.Response ready = http.get("/readyz");
            assertThat(ready.text()).contains("[-]router failed: no router is ready").endsWith("readyz check failed\n")
                    .doesNotContain("[+]store ok"); // only failed checks without ?verbose
            assertThat(http.get("/readyz?verbose").text()).contains("[+]store ok");
            assertThat(http.get("/livez").status()).isEqualTo(200);
        }
    }

    @Test
    void notReadyWhileRedisIsDownAndReadyAgainWhenItIsBack() throws Exception {
        RedisServer.assumeInstalled();
        try (RedisServer redis = RedisServer.start();
                ChatBackend backend = ChatBackend.create(TestBackends.base(0, 0)
                        .storeConfig(SessionStoreConfig.builder().redisUrl(redis.url()).build()).build()).start()) {
            RawHttp http = RawHttp.to(backend.url());
            assertThat(http.get("/readyz").status()).isEqualTo(200);
            redis.kill();
            await().atMost(Duration.ofSeconds(30)).until(() -> http.get("/readyz").status() == 503);
            assertThat(http.get("/readyz").text()).contains("[-]store failed: the session store (redis) does not answer");
            assertThat(http.get("/livez").status()).isEqualTo(200);
            redis.restart();
            await().atMost(Duration.ofSeconds(30)).until(() -> http.get("/readyz").status() == 200);
            assertThat(MetricsTest.sum(MetricsTest.samples(http.get("/metrics").text()),
                    "airouter_store_redis_reconnects_total")).as("reconnects").isGreaterThanOrEqualTo(1.0);
        }
    }

    @Test
    void gracefulStopTurnsNotReadyFirstThenServesForTheDelayThenDrains() throws Exception {
        ChatBackend backend = ChatBackend.create(TestBackends.memory().shutdownDelay(Duration.ofSeconds(6)).build())
                .start();
        try {
            RawHttp http = RawHttp.to(backend.url());
            assertThat(http.get("/readyz").status()).isEqualTo(200);
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(backend::stop);
            await().atMost(Duration.ofSeconds(3)).until(() -> http.get("/readyz").status() == 503);
            assertThat(http.get("/readyz").text()).contains("[-]shutdown failed: the backend is stopping");
            RawHttp.Response chat = http.postJson("/api/chat", toJson(Map.of("message", "still there?",
                    "sessionId", "probe-stop")));
            assertThat(chat.status()).as("chat during the shutdown delay: " + chat.text()).isEqualTo(200);
            assertThat(stopping).as("stop waits for the shutdown delay").isNotDone();
            stopping.get(60, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            backend.stop();
        }
    }
}
