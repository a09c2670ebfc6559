package dev.airouter.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(NoLeftoverProcesses.class)
class PrometheusServerTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60); // a loaded 2-core machine included
    private static final Duration SCRAPE_INTERVAL = Duration.ofSeconds(1);

    @TempDir
    Path workDir;
    private final AtomicReference<String> exposition = new AtomicReference<>(PromtoolTest.VALID);
    private HttpServer target;

    @BeforeEach
    void startTarget() throws IOException {
        target = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        target.createContext("/metrics", exchange -> {
            byte[] body = exposition.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        target.start();
    }

    @AfterEach
    void stopTarget() {
        target.stop(0);
    }

    private String targetHostPort() {
        return "127.0.0.1:" + target.getAddress().getPort();
    }

    @Test
    void scrapesTheTargetAndAnswersQueries() throws Exception {
        String served = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://" + targetHostPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Promtool.require().assertClean(served);

        long started = System.nanoTime();
        try (PrometheusServer prometheus =
                PrometheusServer.start(workDir, targetHostPort(), "/metrics", SCRAPE_INTERVAL)) {
            System.out.printf("prometheus ready in %d ms%n", Duration.ofNanos(System.nanoTime() - started).toMillis());
            assertThat(prometheus.url()).isEqualTo(URI.create("http://127.0.0.1:" + prometheus.port() + "/"));
            assertThat(Files.readString(workDir.resolve("prometheus.yml"))).contains("scrape_interval: 1000ms");

            prometheus.awaitTargetUp(DEADLINE);
            System.out.printf("target up %d ms after the start%n",
                    Duration.ofNanos(System.nanoTime() - started).toMillis());
            assertThat(prometheus.query("demo_requests_total")).isEqualTo(7.0);
            assertThat(prometheus.query("demo_requests_total{job=\"airouter\",instance=\"" + targetHostPort() + "\"}"))
                    .isEqualTo(7.0);
            assertThat(prometheus.query("demo_queue_depth")).isEqualTo(3.0); // two series, summed
            assertThat(prometheus.query("demo_queue_depth{lane=\"b \\\"quoted\\\"\"}")).isEqualTo(2.0);
            assertThat(prometheus.query("scalar(demo_requests_total) * 2")).isEqualTo(14.0);
            assertThat(prometheus.query("1 / 0")).isInfinite();
            assertThatThrownBy(() -> prometheus.query("demo_absent_total"))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("answered no series");
            assertThatThrownBy(() -> prometheus.query("sum(demo_requests_total"))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("bad_data");
            assertThatThrownBy(() -> prometheus.query("demo_requests_total[1m]"))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("answered a matrix");

            exposition.set(PromtoolTest.VALID.replace("demo_requests_total 7", "demo_requests_total 9"));
            await().atMost(DEADLINE).until(() -> prometheus.query("demo_requests_total") == 9.0);
        }
    }

    @Test
    void awaitTargetUpNamesTheScrapeErrorAndCloseStopsTheProcess() {
        String unreachable = "127.0.0.1:" + FreePorts.next(); // nothing listens there
        PrometheusServer prometheus = PrometheusServer.start(workDir, unreachable, "/metrics", SCRAPE_INTERVAL);
        long pid = prometheus.pid();
        try {
            await().atMost(DEADLINE).ignoreExceptions().until(() -> prometheus.query("up") == 0.0);
            assertThatThrownBy(() -> prometheus.awaitTargetUp(Duration.ofMillis(200)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Prometheus target " + unreachable + " up did not happen")
                    .hasMessageContaining("health down")
                    .hasMessageContaining("connection refused")
                    .hasMessageContaining("; log:");
        } finally {
            prometheus.close();
        }
        assertThat(Processes.isAlive(pid)).isFalse();
        prometheus.close(); // idempotent
        assertThat(workDir.resolve("prometheus.log")).content().contains("See you next time!");
        assertThat(workDir.resolve("data")).isDirectory();
    }

    @Test
    void aPrometheusThatExitsAtStartFailsTheStartWithItsLog() throws IOException {
        Files.writeString(workDir.resolve("data"), "not a directory");
        assertThatThrownBy(() -> PrometheusServer.start(workDir, targetHostPort(), "/metrics", SCRAPE_INTERVAL))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited with code")
                .hasMessageContaining("; log:")
                .hasMessageContaining("queries.active: not a directory");
    }

    @Test
    void aTakenPortMakesPrometheusLogWhatStartRetriesOn() throws Exception {
        // a lost race for a free port cannot be provoked through start(); check the log line it retries on
        Path dir = Files.createDirectories(workDir.resolve("taken"));
        Files.writeString(dir.resolve("prometheus.yml"), "scrape_configs: []\n");
        try (ServerSocket occupied = FreePorts.occupy()) {
            Process prometheus = new ProcessBuilder(
                    Programs.require("prometheus", "apt-get install -y prometheus").toString(),
                    "--config.file=" + dir.resolve("prometheus.yml"), "--storage.tsdb.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + occupied.getLocalPort())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
            try {
                assertThat(prometheus.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();
            } finally {
                prometheus.destroyForcibly();
            }
        }
        assertThat(dir.resolve("log")).content().contains("address already in use");
    }

    @Test
    void rejectsTargetsAndPathsThatWouldBreakTheConfiguration() {
        assertThatThrownBy(() -> PrometheusServer.start(workDir, "http://127.0.0.1:1", "/metrics", SCRAPE_INTERVAL))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PrometheusServer.start(workDir, "127.0.0.1:1", "metrics'", SCRAPE_INTERVAL))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PrometheusServer.start(workDir, "127.0.0.1:1", "/metrics", Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
