package dev.airouter.backend;

import static dev.airouter.backend.TestJson.toJson;
import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.PrometheusServer;
import dev.airouter.testing.Promtool;
import dev.airouter.testing.RawHttp;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics} after real chat traffic through real routers: the meters an operator graphs,
 * their names and labels, the two exposition formats, metrics off, an embedder's registry, and a
 * series count that stays flat under random paths, methods and session ids and across reloads.
 */
@ExtendWith(NoLeftoverProcesses.class)
class MetricsTest {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? (\\S+)");

    /** The samples of one exposition: name + labels → value. */
    static Map<String, Double> samples(String exposition) {
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        for (String line : exposition.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!line.startsWith("#") && m.find()) {
                out.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(3)));
            }
        }
        return out;
    }

    /**
     * The sum of the samples of {@code name} whose labels contain every one of {@code labels}
     * ({@code key="value"}); fails when there is none, so that a misspelt name cannot pass as 0.
     */
    static double sum(Map<String, Double> samples, String name, String... labels) {
        double total = 0;
        boolean found = false;
        for (Map.Entry<String, Double> e : samples.entrySet()) {
            String key = e.getKey();
            if (!key.equals(name) && !key.startsWith(name + "{")) {
                continue;
            }
            boolean all = true;
            for (String label : labels) {
                all &= key.contains(label);
            }
            if (all) {
                total += e.getValue();
                found = true;
            }
        }
        if (!found) {
            throw new AssertionError("no series " + name + " with " + String.join(", ", labels) + "; the metrics are "
                    + samples.keySet().stream().map(k -> k.replaceAll("\\{.*", "")).distinct().toList());
        }
        return total;
    }

    private static RawHttp.Response chat(RawHttp http, String message, String session) {
        return http.postJson("/api/chat", toJson(Map.of("message", message, "sessionId", session)));
    }

    @Test
    void chatTrafficShowsInEveryFamilyOfMeters() throws Exception {
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().build()).start()) {
            RawHttp http = RawHttp.to(backend.url()).withTimeout(Duration.ofSeconds(30));
            for (int i = 0; i < 5; i++) {
                assertThat(chat(http, "Hello " + i, "metrics-one").status()).isEqualTo(200);
            }
            RawHttp.Response streamed = http.postJson("/api/chat/stream", toJson(Map.of("message", "Stream please",
                    "sessionId", "metrics-two")));
            assertThat(streamed.status()).isEqualTo(200);
            assertThat(http.get("/no/such/path/secret-session-1234").status()).isEqualTo(404);
            assertThat(http.delete("/api/chat/stats").status()).isEqualTo(405);

            RawHttp.Response scrape = http.get("/metrics");
            assertThat(scrape.status()).isEqualTo(200);
            assertThat(scrape.header("Content-Type")).startsWith("text/plain; version=0.0.4");
            String text = scrape.text();
            Map<String, Double> s = samples(text);

            assertThat(sum(s, "http_server_request_duration_seconds_count", "http_route=\"/api/chat\"",
                    "http_request_method=\"POST\"", "http_response_status_code=\"200\"")).isEqualTo(5.0);
            assertThat(sum(s, "http_server_request_duration_seconds_count", "http_route=\"unmatched\"",
                    "http_response_status_code=\"404\"")).isEqualTo(1.0);
            assertThat(sum(s, "http_server_request_duration_seconds_count", "http_route=\"/api/chat/stats\"",
                    "http_request_method=\"DELETE\"", "http_response_status_code=\"405\"")).isEqualTo(1.0);
            assertThat(sum(s, "http_server_request_duration_seconds_bucket", "http_route=\"/api/chat\"",
                    "le=\"+Inf\"")).isEqualTo(5.0);
            assertThat(text).contains("# HELP http_server_request_duration_seconds ")
                    .contains("# HELP http_server_active_requests ")
                    .doesNotContain("secret-session-1234").doesNotContain("metrics-one");
            assertThat(sum(s, "http_server_active_requests")).isEqualTo(1.0); // this scrape

            assertThat(sum(s, "airouter_router_request_duration_seconds_count", "outcome=\"ok\"", "replica=\"0\""))
                    .isEqualTo(6.0);
            assertThat(sum(s, "airouter_router_requests_active", "replica=\"0\"")).isZero();
            assertThat(sum(s, "airouter_chat_turns_total", "streamed=\"false\"")).isEqualTo(5.0);
            assertThat(sum(s, "airouter_chat_turns_total", "streamed=\"true\"")).isEqualTo(1.0);
            assertThat(sum(s, "airouter_chat_history_length_messages_count")).isEqualTo(6.0);
            assertThat(sum(s, "airouter_chat_history_length_messages_sum")).isEqualTo(0 + 2 + 4 + 6 + 8 + 0);
            assertThat(sum(s, "airouter_store_operation_duration_seconds_count", "operation=\"append", // and append_after
                    "outcome=\"ok\"")).isEqualTo(6.0);
            assertThat(sum(s, "airouter_store_operation_duration_seconds_count", "operation=\"load_tail\"",
                    "outcome=\"ok\"")).isEqualTo(6.0);
            assertThat(sum(s, "airouter_store_operation_duration_seconds_count", "outcome=\"ok\""))
                    .isGreaterThanOrEqualTo(12.0);
            assertThat(sum(s, "airouter_store_fallback")).isZero();
            assertThat(s).containsKey("airouter_store_redis_reconnects_total");
            assertThat(sum(s, "airouter_pool_replica_state", "replica=\"0\"", "state=\"running\"")).isEqualTo(1.0);
            assertThat(sum(s, "airouter_pool_replica_generation", "replica=\"0\"")).isEqualTo(1.0);
            assertThat(sum(s, "airouter_pool_replicas_ready")).isEqualTo(1.0);
            // Micrometer's JVM and process binders
            assertThat(text).contains("jvm_memory_used_bytes{").contains("jvm_threads_live_threads ")
                    .contains("process_cpu_seconds_total ").contains("process_files_open_files ")
                    .doesNotContain("process_cpu_usage").doesNotContain("system_cpu_usage")
                    .contains("jvm_classes_loaded_classes ").contains("process_uptime_seconds ");
            for (String line : text.split("\n")) {
                if (line.startsWith("# TYPE ")) {
                    String name = line.split(" ")[2];
                    assertThat(text).as("help text of " + name).contains("# HELP " + name + " ");
                }
            }

            RawHttp.Response open = http.send("GET", "/metrics", Map.of("Accept",
                    "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"), null);
            assertThat(open.status()).isEqualTo(200);
            assertThat(open.header("Content-Type")).startsWith("application/openmetrics-text; version=1.0.0");
            assertThat(open.text()).endsWith("# EOF\n").contains("airouter_chat_turns_total{streamed=\"false\"} 5.0");
        }
    }

    @Test
    void promtoolFindsNothingAndARealPrometheusCountsTheChatRequests(@TempDir Path work) throws Exception {
        Promtool promtool = Promtool.require();
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().build()).start()) {
            RawHttp http = RawHttp.to(backend.url()).withTimeout(Duration.ofSeconds(30));
            int chats = 7;
            for (int i = 0; i < chats; i++) {
                assertThat(chat(http, "Hello " + i, "promql-" + (i % 3)).status()).isEqualTo(200);
            }
            assertThat(http.postJson("/api/chat/stream", toJson(Map.of("message", "and a stream"))).status())
                    .isEqualTo(200);
            http.get("/nope");
            promtool.assertClean(http.get("/metrics").text());
            try (PrometheusServer prometheus = PrometheusServer.start(work, "127.0.0.1:" + backend.port(), "/metrics",
                    Duration.ofSeconds(1))) {
                prometheus.awaitTargetUp(Duration.ofSeconds(90));
                assertThat(prometheus.query("sum(http_server_request_duration_seconds_count{http_route=\"/api/chat\"})"))
                        .isEqualTo(chats);
                assertThat(prometheus.query("sum(airouter_chat_turns_total)")).isEqualTo(chats + 1);
                assertThat(prometheus.query("airouter_pool_replicas_ready")).isEqualTo(1);
            }
        }
    }

    @Test
    void metricsOffAnswers404AndRecordsNothing() throws Exception {
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().metrics(false).build()).start()) {
            RawHttp http = RawHttp.to(backend.url());
            assertThat(chat(http, "Hello", "metrics-off").status()).isEqualTo(200);
            RawHttp.Response scrape = http.get("/metrics");
            assertThat(scrape.status()).isEqualTo(404);
            assertThat(scrape.text()).contains("metrics are off");
        }
    }

    @Test
    void anEmbeddersRegistryGetsTheMetersAndIsLeftCleanAtStop() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().meterRegistry(registry).build()).start()) {
            RawHttp http = RawHttp.to(backend.url());
            assertThat(chat(http, "Hello", "metrics-embedded").status()).isEqualTo(200);
            // events are held per thread and applied within a second (MeterBuffer) when nothing scrapes;
            // the HTTP one is recorded when the exchange completes, which may be just after the client has
            // the answer
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(registry.get("airouter.chat.turns").tag("streamed", "false").counter().count())
                        .isEqualTo(1.0);
                assertThat(registry.find("http.server.request.duration").tag("http.route", "/api/chat").timers())
                        .singleElement().satisfies(t -> assertThat(t.count()).isEqualTo(1));
            });
            RawHttp.Response scrape = http.get("/metrics");
            assertThat(scrape.status()).isEqualTo(404);
            assertThat(scrape.text()).contains("SimpleMeterRegistry");
        }
        assertThat(registry.getMeters()).as("meters left after stop").isEmpty();
        assertThat(registry.isClosed()).isFalse();
    }

    @Test
    void seriesCountStaysFlatUnderRandomRequestsAndReloads() throws Exception {
        Random random = new Random(22);
        List<String> methods = List.of("GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "FOO", "BREW");
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().routers(2).build()).start()) {
            RawHttp http = RawHttp.to(backend.url()).withTimeout(Duration.ofSeconds(30));
            Set<String> tokens = new HashSet<>();
            List<Integer> counts = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                assertThat(chat(http, "Hello " + i, "warm-" + i).status()).isEqualTo(200);
            }
            http.get("/metrics"); // so that the scrapes' own series exist from the first count on
            for (int round = 0; round < 4; round++) {
                for (int i = 0; i < 2_500; i++) {
                    String token = Long.toString(random.nextLong() & Long.MAX_VALUE, 36);
                    tokens.add(token);
                    String path = switch (random.nextInt(6)) {
                        case 0 -> "/api/sessions/" + token;
                        case 1 -> "/" + token;
                        case 2 -> "/api/" + token + "/x";
                        case 3 -> "/api/chat/stats";
                        case 4 -> "/health";
                        default -> "/api/sessions/" + token + "?q=" + token;
                    };
                    String method = methods.get(random.nextInt(methods.size()));
                    byte[] body = method.equals("POST") ? "{}".getBytes(StandardCharsets.UTF_8) : null;
                    http.send(method, path, body == null ? Map.of() : Map.of("Content-Type", "application/json"), body);
                    if (i % 250 == 0) {
                        assertThat(chat(http, "Hello " + token, "s-" + token).status()).isEqualTo(200);
                    }
                }
                backend.reload();
                counts.add(seriesCount(http.get("/metrics").text()));
            }
            String last = http.get("/metrics").text();
            for (String token : tokens) {
                if (last.contains(token)) {
                    throw new AssertionError("a raw path or session id is in /metrics: " + token);
                }
            }
            // after the first round every combination of route, method and status has been seen
            assertThat(counts.subList(1, counts.size())).as("series after each round of 2,500 requests and a reload")
                    .allMatch(c -> c.equals(counts.get(1)));
            assertThat(samples(last).keySet()).filteredOn(k -> k.contains("generation=") || k.contains("pid="))
                    .as("no generation or pid label").isEmpty();
        }
    }

    /** Series other than the JVM's (whose GC meters gain a series with each new GC cause). */
    private static int seriesCount(String exposition) {
        return (int) samples(exposition).keySet().stream()
                .filter(k -> !k.startsWith("jvm_") && !k.startsWith("process_") && !k.startsWith("system_")).count();
    }
}
