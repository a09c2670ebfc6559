package dev.airouter.backend;

import static dev.airouter.backend.TestJson.json;
import static dev.airouter.backend.TestJson.toJson;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.airouter.testing.Fixtures;
import dev.airouter.testing.FreePorts;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RawHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Reloading the routers: blue/green under load costs no request, a new generation that cannot start
 * never replaces a working one, and the admin endpoint that starts reloads takes only the token.
 * Real routers (the bundled one behind a start delay) and real processes; loose deadlines.
 */
@ExtendWith(NoLeftoverProcesses.class)
class ReloadTest {
    static final String TOKEN = token();

    private static String token() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static RawHttp.Response chat(RawHttp http, String message, String session) {
        return http.postJson("/api/chat", toJson(Map.of("message", message, "sessionId", session)));
    }

    /** 16 clients chatting without a pause until stopped; every answer other than 200 is kept. */
    private static final class Load implements AutoCloseable {
        final AtomicBoolean running = new AtomicBoolean(true);
        final List<RawHttp.Response> failures = new CopyOnWriteArrayList<>();
        final Map<String, Integer> sent = new ConcurrentHashMap<>();
        final Set<Long> generations = ConcurrentHashMap.newKeySet();
        final Map<String, Long> lastGeneration = new ConcurrentHashMap<>();
        final ExecutorService clients = Executors.newFixedThreadPool(16);
        final List<CompletableFuture<Void>> loops = new ArrayList<>();

        Load(RawHttp http, String prefix) {
            for (int c = 0; c < 16; c++) {
                String session = prefix + "-" + c;
                loops.add(CompletableFuture.runAsync(() -> {
                    int n = 0;
                    while (running.get()) {
                        RawHttp.Response r = chat(http, "message " + n, session);
                        if (r.status() != 200) {
                            failures.add(r);
                        } else {
                            long generation = json(r).path("metadata").path("routerGeneration").asLong();
                            generations.add(generation);
                            lastGeneration.put(session, generation);
                        }
                        sent.put(session, ++n);
                    }
                }, clients));
            }
        }

        int total() {
            return sent.values().stream().mapToInt(i -> i).sum();
        }

        void awaitMore(int calls) {
            int before = total();
            await().atMost(Duration.ofSeconds(30)).until(() -> total() >= before + calls);
        }

        @Override
        public void close() throws Exception {
            running.set(false);
            CompletableFuture.allOf(loops.toArray(new CompletableFuture<?>[0])).get();
            clients.shutdownNow();
        }
    }

    @Test
    void aReloadUnderLoadCostsNoRequestAndTheOldGenerationIsGoneAfterwards() throws Exception {
        Path marker = TestBackends.tempDir().resolve("broken");
        try (ChatBackend backend = ChatBackend.create(TestBackends.base(0, 0).routers(2)
                .storeConfig(TestBackends.memoryStore(100_000))
                .routerCommand(TestBackends.reloadRouter(3, marker)).build()).start()) {
            RawHttp http = RawHttp.to(backend.url()).withTimeout(Duration.ofSeconds(30));
            List<Long> oldPids = backend.routerStatus().replicas().stream()
                    .map(r -> r.process().pid().orElseThrow()).toList();
            ReloadResult result;
            Load load = new Load(http, "reload-client");
            try (load) {
                load.awaitMore(100);
                assertThat(backend.isReloading()).isFalse();
                result = backend.reload(); // the new generation needs 3 s to start; the old one serves meanwhile
                assertThat(backend.isReloading()).isFalse();
                load.awaitMore(100);
            }
            assertThat(load.failures).as("answers other than 200 during the reload").isEmpty();
            assertThat(result.fromGeneration()).isEqualTo(1);
            assertThat(result.toGeneration()).isEqualTo(2);
            assertThat(result.took()).isGreaterThanOrEqualTo(Duration.ofSeconds(3));
            assertThat(result.routers()).hasSize(2);
            assertThat(load.generations).as("generations that answered").containsExactlyInAnyOrder(1L, 2L);
            assertThat(load.lastGeneration.values()).as("the last answer of every client").containsOnly(2L);
            assertThat(backend.routerStatus().replicas()).hasSize(2)
                    .allMatch(r -> r.generation() == 2 && r.ready() && r.inFlight() >= 0);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(oldPids)
                    .as("processes of generation 1").noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive)
                            .orElse(false)));
            for (Map.Entry<String, Integer> e : load.sent.entrySet()) { // conversations are untouched
                assertThat(json(http.get("/api/sessions/" + e.getKey())).path("messages")).as(e.getKey())
                        .hasSize(2 * e.getValue());
            }
            JsonNode health = json(http.get("/health"));
            assertThat(health.path("router").path("replicas").findValues("generation"))
                    .extracting(JsonNode::asLong).containsOnly(2L);
        }
    }

    @Test
    void aNewGenerationThatCannotStartLeavesTheOldOneServingAndTheNextTryWorks() throws Exception {
        Path marker = TestBackends.tempDir().resolve("broken");
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().routers(1)
                .routerCommand(TestBackends.reloadRouter(0, marker)).build()).start()) {
            RawHttp http = RawHttp.to(backend.url()).withTimeout(Duration.ofSeconds(30));
            long oldPid = backend.routerStatus().replicas().get(0).process().pid().orElseThrow();
            Files.writeString(marker, "SyntaxError: invalid syntax (handlers.py, line 12)");
            Load load = new Load(http, "broken-client");
            try (load) {
                load.awaitMore(50);
                assertThatThrownBy(backend::reload).isInstanceOf(ReloadFailedException.class)
                        .hasMessageContaining("exited with code 3")
                        .hasMessageContaining("SyntaxError: invalid syntax (handlers.py, line 12)")
                        .hasMessageContaining("previous generation keeps serving");
                load.awaitMore(50);
            }
            assertThat(load.failures).as("answers other than 200 around the failed reload").isEmpty();
            assertThat(load.generations).containsOnly(1L);
            assertThat(backend.routerStatus().replicas()).singleElement().satisfies(r -> {
                assertThat(r.generation()).isEqualTo(1);
                assertThat(r.process().pid()).hasValue(oldPid);
            });
            Files.delete(marker); // the fix is saved: the next reload goes through
            ReloadResult result = backend.reload();
            assertThat(result.fromGeneration()).isEqualTo(1);
            assertThat(result.toGeneration()).isGreaterThan(1);
            RawHttp.Response r = chat(http, "after the fix", "broken-after");
            assertThat(r.status()).isEqualTo(200);
            assertThat(json(r).path("metadata").path("routerGeneration").asLong()).isEqualTo(result.toGeneration());
        }
    }

    @Test
    void theAdminEndpointTakesOnlyTheTokenAndReportsTheOutcome() throws Exception {
        Path marker = TestBackends.tempDir().resolve("broken");
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().adminToken(TOKEN)
                .routerCommand(TestBackends.reloadRouter(1, marker)).build()).start()) {
            RawHttp http = RawHttp.to(backend.url()).withTimeout(Duration.ofSeconds(30));
            RawHttp.Response none = http.send("POST", "/api/admin/reload", Map.of(), new byte[0]);
            assertThat(none.status()).isEqualTo(401);
            assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");
            assertThat(json(none).path("error").asText()).isEqualTo("unauthorized");
            String wrongToken = TOKEN.substring(0, TOKEN.length() - 1) + (TOKEN.endsWith("A") ? "B" : "A");
            for (String header : List.of("Bearer " + wrongToken, "Bearer " + TOKEN + "x", "Basic " + TOKEN, TOKEN,
                    "Bearer ", "Bearer " + TOKEN.substring(1))) {
                RawHttp.Response wrong = http.send("POST", "/api/admin/reload", Map.of("Authorization", header), new byte[0]);
                assertThat(wrong.status()).as(header.split(" ")[0]).isEqualTo(401);
                assertThat(wrong.header("WWW-Authenticate")).startsWith("Bearer");
                assertThat(wrong.text()).doesNotContain(TOKEN);
            }
            assertThat(http.send("GET", "/api/admin/reload/abc", Map.of("Authorization", "Bearer " + wrongToken),
                    new byte[0]).status()).isEqualTo(401);
            assertThat(backend.routerStatus().replicas()).singleElement()
                    .satisfies(r -> assertThat(r.generation()).as("nothing reloaded").isEqualTo(1));

            Map<String, String> auth = Map.of("Authorization", "Bearer " + TOKEN);
            RawHttp.Response started = http.send("POST", "/api/admin/reload", auth, new byte[0]);
            assertThat(started.status()).as(started.text()).isEqualTo(202);
            String statusUrl = json(started).path("statusUrl").asText();
            assertThat(started.header("Location")).isEqualTo(statusUrl);
            assertThat(json(started).path("state").asText()).isEqualTo("running");
            RawHttp.Response again = http.send("POST", "/api/admin/reload", auth, new byte[0]);
            assertThat(again.status()).as("a second reload while one runs").isEqualTo(409);
            assertThat(json(again).path("details").asText()).contains(json(started).path("id").asText());
            JsonNode done = await().atMost(Duration.ofSeconds(30)).until(
                    () -> json(http.send("GET", statusUrl, auth, new byte[0])), s -> !s.path("state").asText().equals("running"));
            assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("done");
            assertThat(done.path("fromGeneration").asLong()).isEqualTo(1);
            assertThat(done.path("toGeneration").asLong()).isEqualTo(2);

            Files.writeString(marker, "ImportError: cannot import name 'classify'");
            RawHttp.Response failing = http.send("POST", "/api/admin/reload", auth, new byte[0]);
            assertThat(failing.status()).isEqualTo(202);
            JsonNode failed = await().atMost(Duration.ofSeconds(30)).until(() -> json(http.send("GET",
                    json(failing).path("statusUrl").asText(), auth, new byte[0])), s -> !s.path("state").asText().equals("running"));
            assertThat(failed.path("state").asText()).isEqualTo("failed");
            assertThat(failed.path("success").asBoolean()).isFalse();
            assertThat(failed.path("error").asText()).contains("ImportError: cannot import name 'classify'")
                    .contains("exited with code 3");
            assertThat(http.send("GET", "/api/admin/reload/0123", auth, new byte[0]).status()).isEqualTo(404);
            assertThat(chat(http, "still served", "admin-1").status()).isEqualTo(200);
        }
    }

    @Test
    void theAdminEndpointAnswersWhenChatIsSaturated() throws Exception {
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().adminToken(TOKEN).maxInFlight(1)
                .routerCommand(TestBackends.slowRouter(3000)).build()).start()) {
            RawHttp http = RawHttp.to(backend.url()).withTimeout(Duration.ofSeconds(30));
            CompletableFuture<RawHttp.Response> slow = CompletableFuture.supplyAsync(() -> chat(http, "slow", "busy-1"));
            await().atMost(Duration.ofSeconds(10)).until(() -> json(http.get("/api/status")).path("backend")
                    .path("inFlight").asInt() == 1);
            assertThat(chat(http, "one too many", "busy-2").status()).as("chat beyond maxInFlight").isEqualTo(503);
            Map<String, String> auth = Map.of("Authorization", "Bearer " + TOKEN);
            RawHttp.Response started = http.send("POST", "/api/admin/reload", auth, new byte[0]);
            assertThat(started.status()).as(started.text()).isEqualTo(202);
            assertThat(http.send("GET", json(started).path("statusUrl").asText(), auth, new byte[0]).status())
                    .isEqualTo(200);
            assertThat(slow.get().status()).as("the call in flight during the reload").isEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).until(() -> !backend.isReloading());
        }
    }

    @Test
    void withoutATokenTheAdminEndpointsAreNotThereAndAnAdoptedRouterIsNotReloaded() throws Exception {
        try (ChatBackend backend = ChatBackend.create(TestBackends.memory().build()).start()) {
            RawHttp http = RawHttp.to(backend.url());
            RawHttp.Response r = http.send("POST", "/api/admin/reload", Map.of("Authorization", "Bearer " + TOKEN),
                    new byte[0]);
            assertThat(r.status()).isEqualTo(404);
            assertThat(json(r).path("details").asText()).contains("no admin token");
        }
        // a router started by hand is adopted by a backend: not that one's to reload
        int routerPort = FreePorts.next();
        Process router = new ProcessBuilder(Fixtures.python(), "-m", "ai_router", "--port", Integer.toString(routerPort))
                .directory(TestBackends.ROUTER_SOURCES.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            await().atMost(Duration.ofSeconds(15)).until(() -> FreePorts.isAccepting(routerPort));
            try (ChatBackend second = ChatBackend.create(TestBackends.memory().adminToken(TOKEN).build())) {
                RouterHandle adopted = RouterSetup.create(second.config(), second.instanceId(),
                        java.util.OptionalInt.of(routerPort), new okhttp3.OkHttpClient(), new Json(), () -> {});
                assertThat(adopted.reloadRefusal()).hasValueSatisfying(why -> assertThat(why).contains("adopted"));
                assertThatThrownBy(adopted::reload).isInstanceOf(IllegalStateException.class).hasMessageContaining("adopted");
            }
        } finally {
            router.destroyForcibly().waitFor();
        }
    }

    @Test
    void theTokenCompareTakesAsLongWhereverTheTokensDiffer() {
        // A compare that stops at the first differing byte answers a guess that is right for longer
        // later: the difference between a miss at the first and at the last byte of a long token is
        // what an attacker measures. The same harness must see it for such a compare (else it proves
        // nothing) and not see it for the admin endpoint's.
        byte[] token = new byte[16 * 1024]; // long, so that where a compare stops shows above the call's cost
        java.util.Arrays.fill(token, (byte) 'a');
        byte[] missFirst = token.clone();
        missFirst[0] = 'b';
        byte[] missLast = token.clone();
        missLast[token.length - 1] = 'b';
        double naive = ratio((a, b) -> java.util.Arrays.equals(a, b), token, missFirst, missLast);
        double ours = ratio(AdminEndpoints::sameToken, token, missFirst, missLast);
        assertThat(naive).as("an early-exit compare: time for a late miss / an early miss").isGreaterThan(3);
        assertThat(ours).as("the admin endpoint's compare: time for a late miss / an early miss").isBetween(0.5, 2.0);
    }

    private interface Compare {
        boolean same(byte[] given, byte[] expected);
    }

    private static double ratio(Compare compare, byte[] expected, byte[] early, byte[] late) {
        int batch = 2000;
        int rounds = 61;
        long[] earlyNanos = new long[rounds];
        long[] lateNanos = new long[rounds];
        int sink = 0;
        for (int warm = 0; warm < 20_000; warm++) {
            sink += compare.same(early, expected) ? 1 : 0;
            sink += compare.same(late, expected) ? 1 : 0;
        }
        for (int round = 0; round < rounds; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < batch; i++) {
                sink += compare.same(early, expected) ? 1 : 0;
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < batch; i++) {
                sink += compare.same(late, expected) ? 1 : 0;
            }
            long t2 = System.nanoTime();
            earlyNanos[round] = t1 - t0;
            lateNanos[round] = t2 - t1;
        }
        assertThat(sink).isZero(); // every compare was a miss; also keeps the loops from being optimised away
        java.util.Arrays.sort(earlyNanos);
        java.util.Arrays.sort(lateNanos);
        return (double) lateNanos[rounds / 2] / Math.max(1, earlyNanos[rounds / 2]);
    }

    @Test
    void theTokenIsNeitherInTheConfigsTextNorInAnswers() {
        BackendConfig config = TestBackends.memory().adminToken(TOKEN).build();
        assertThat(config.toString()).doesNotContain(TOKEN).contains("adminToken=***");
        assertThat(config.adminToken()).hasValue(TOKEN);
        assertThatThrownBy(() -> TestBackends.memory().adminToken("short"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("22-512")
                .hasMessageNotContaining("short");
    }
}
