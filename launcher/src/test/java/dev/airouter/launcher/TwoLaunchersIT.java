package dev.airouter.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.Fixtures;
import dev.airouter.testing.FreePorts;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.Processes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two launchers on one machine, as real processes: one per log directory (a second is refused and
 * touches nothing of the first's), side by side with their own log directories and free ports, and
 * a router one of them spawned is never adopted by the other (one started by hand still is).
 */
@ExtendWith(NoLeftoverProcesses.class)
class TwoLaunchersIT {
    static final Duration START = Duration.ofSeconds(90);
    @TempDir Path tmp;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private static List<String> args(String command, Path logDir, String... extra) {
        List<String> args = new ArrayList<>(List.of(command, "--backend-port", "0", "--redis-url", "none",
                "--log-dir", logDir.toString()));
        args.addAll(List.of(extra));
        return args;
    }

    private static List<String> withRedis(List<String> args, dev.airouter.testing.RedisServer redis) {
        List<String> all = new ArrayList<>(args);
        all.set(all.indexOf("none"), redis.url());
        return all;
    }

    @Test
    void aSecondLauncherOnTheSameLogDirIsRefusedAndTouchesNothingOfTheFirst() throws Exception {
        Path logs = tmp.resolve("logs");
        try (LauncherProcess first = LauncherProcess.start(args("backend", logs, "--router-port", "0"))) {
            String backend = first.group("\\[launcher\\]\\s+backend:\\s+(\\S+)", START);
            String instance = first.group("\\[launcher\\]\\s+instance:\\s+(\\S+)", START);
            Path backendLog = logs.resolve("backend.log");
            Path routerLog = logs.resolve("ai-router.log");
            Path runFile = logs.resolve(RunFile.NAME);
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.size(backendLog) > 0 && Files.size(routerLog) > 0);
            String backendBefore = Files.readString(backendLog);
            String routerBefore = Files.readString(routerLog);
            String runBefore = Files.readString(runFile);
            List<String> filesBefore = files(logs);

            for (List<String> second : List.of(args("backend", logs, "--router-port", "0"),
                    args("dev", logs, "--no-frontend", "--router-port", "0"))) {
                try (LauncherProcess refused = LauncherProcess.start(second)) {
                    assertThat(refused.process.waitFor(30, TimeUnit.SECONDS)).as("refused at once").isTrue();
                    String out = String.join("\n", refused.lines);
                    assertThat(refused.process.exitValue()).as(out).isEqualTo(1);
                    assertThat(out).contains("--log-dir " + logs.toAbsolutePath() + " is in use by another airouter"
                            + " backend (pid " + first.process.pid() + ", instance " + instance + "): its run file is "
                            + runFile.toAbsolutePath())
                            .doesNotContain("[router]").doesNotContain("ready in").doesNotContain("[backend]");
                }
            }

            assertThat(Files.readString(runFile)).isEqualTo(runBefore);
            assertThat(Files.readString(backendLog)).startsWith(backendBefore); // neither truncated nor rotated
            assertThat(Files.readString(routerLog)).startsWith(routerBefore);
            assertThat(count(Files.readString(routerLog), "Starting AI router")).as("no router spawned")
                    .isEqualTo(count(routerBefore, "Starting AI router"));
            assertThat(files(logs)).isEqualTo(filesBefore);
            HttpResponse<String> health = get(backend + "/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"instanceId\":\"" + instance + "\"");

            first.signal("TERM");
            assertThat(first.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
            assertThat(first.process.exitValue()).isZero();
        }
        // the first is gone (its lock with it): the directory is free again, even after a kill -9
        try (LauncherProcess again = LauncherProcess.start(args("backend", logs, "--router-port", "0"))) {
            again.awaitLine("\\[launcher\\] ready in", START);
            again.process.destroyForcibly().waitFor();
        }
        try (LauncherProcess afterKill = LauncherProcess.start(args("backend", logs, "--router-port", "0"))) {
            afterKill.awaitLine("\\[launcher\\] ready in", START);
            afterKill.signal("TERM");
            assertThat(afterKill.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * Two {@code launcher backend} processes, each with its own log directory, free ports and router, on
     * one Redis: one conversation served by both in turn keeps every turn, in order.
     */
    @Test
    void launchersWithTheirOwnLogDirsAndFreePortsServeSideBySideAndShareOneConversationThroughRedis() throws Exception {
        try (dev.airouter.testing.RedisServer redis = dev.airouter.testing.RedisServer.start();
                LauncherProcess a = LauncherProcess.start(withRedis(args("backend", tmp.resolve("a"), "--router-port", "0"),
                        redis));
                LauncherProcess b = LauncherProcess.start(withRedis(args("backend", tmp.resolve("b"), "--router-port", "0",
                        "--instance-id", "web-2"), redis))) {
            String backendA = a.group("\\[launcher\\]\\s+backend:\\s+(\\S+)", START);
            String backendB = b.group("\\[launcher\\]\\s+backend:\\s+(\\S+)", START);
            String idA = a.group("\\[launcher\\]\\s+instance:\\s+(\\S+)", START);
            assertThat(b.group("\\[launcher\\]\\s+instance:\\s+(\\S+)", START)).isEqualTo("web-2");
            assertThat(idA).isNotEqualTo("web-2");
            for (String backend : List.of(backendA, backendB)) {
                HttpResponse<String> chat = post(backend + "/api/chat", "{\"message\":\"what is 6 times 7\"}");
                assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
                assertThat(chat.body()).contains("42");
            }
            String session = "two-launchers-" + System.nanoTime();
            for (int turn = 0; turn < 6; turn++) {
                String backend = turn % 2 == 0 ? backendA : backendB;
                HttpResponse<String> chat = post(backend + "/api/chat", "{\"message\":\"turn " + turn
                        + " of the shared conversation\",\"sessionId\":\"" + session + "\"}");
                assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
            }
            for (String backend : List.of(backendA, backendB)) {
                String history = get(backend + "/api/sessions/" + session).body();
                int at = -1;
                for (int turn = 0; turn < 6; turn++) {
                    int next = history.indexOf("\"turn " + turn + " of the shared conversation\"");
                    assertThat(next).as("turn %d after turn %d in %s", turn, turn - 1, history).isGreaterThan(at);
                    at = next;
                }
                assertThat(history.split("\"role\":\"assistant\"", -1)).as("6 replies").hasSize(7);
            }
            assertThat(get(backendA + "/health").body()).contains("\"instanceId\":\"" + idA + "\"");
            assertThat(get(backendB + "/api/status").body()).contains("\"instanceId\":\"web-2\"");
            assertThat(Files.readString(tmp.resolve("b").resolve(RunFile.NAME))).contains("instanceId=web-2");
            a.signal("TERM");
            b.signal("TERM");
            assertThat(a.process.waitFor(15, TimeUnit.SECONDS) && b.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
            assertThat(a.process.exitValue()).isZero();
            assertThat(b.process.exitValue()).isZero();
        }
    }

    @Test
    void aRouterAnotherLauncherSpawnedIsNeverAdoptedButOneStartedByHandIs() throws Exception {
        int routerPort = FreePorts.next();
        try (LauncherProcess owner = LauncherProcess.start(args("backend", tmp.resolve("owner"), "--router-port",
                Integer.toString(routerPort)))) {
            String backend = owner.group("\\[launcher\\]\\s+backend:\\s+(\\S+)", START);
            String instance = owner.group("\\[launcher\\]\\s+instance:\\s+(\\S+)", START);
            long routerPid = Long.parseLong(owner.group("\\[launcher\\]\\s+router:\\s+http://127\\.0\\.0\\.1:" + routerPort
                    + " \\(pid (\\d+), owned\\)", START));

            Path otherLogs = tmp.resolve("other");
            try (LauncherProcess other = LauncherProcess.start(args("backend", otherLogs, "--router-port",
                    Integer.toString(routerPort)))) {
                assertThat(other.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
                String out = String.join("\n", other.lines);
                assertThat(other.process.exitValue()).as(out).isEqualTo(1);
                assertThat(out).contains("error: the router port " + routerPort + " is held by a router (pid " + routerPid
                        + ") that another airouter spawned: airouter instance " + instance + " (pid "
                        + owner.process.pid() + ", running)").contains("never adopted").doesNotContain("ready in");
            }
            assertThat(otherLogs.resolve("ai-router.log")).as("the other spawned no router").doesNotExist();
            assertThat(Processes.isAlive(routerPid)).isTrue();
            HttpResponse<String> health = get(backend + "/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(field(health.body(), "pid")).isEqualTo(Long.toString(routerPid));
            assertThat(post(backend + "/api/chat", "{\"message\":\"Hello\"}").statusCode()).isEqualTo(200);
            owner.signal("TERM");
            assertThat(owner.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
        }

        int handPort = FreePorts.next();
        Process byHand = new ProcessBuilder(Fixtures.python(), "-m", "ai_router", "--port", Integer.toString(handPort))
                .directory(LauncherProcess.REPO.resolve("python-router").toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (LauncherProcess adopter = LauncherProcess.start(args("backend", tmp.resolve("adopter"), "--router-port",
                Integer.toString(handPort)))) {
            adopter.awaitLine("\\[launcher\\]\\s+router:\\s+http://127\\.0\\.0\\.1:" + handPort + " \\(pid "
                    + byHand.pid() + ", adopted\\)", START);
            adopter.signal("TERM");
            assertThat(adopter.process.waitFor(15, TimeUnit.SECONDS)).isTrue();
            assertThat(byHand.isAlive()).as("an adopted router is left running").isTrue();
        } finally {
            byHand.destroyForcibly().waitFor();
        }
    }

    private static List<String> files(Path dir) throws Exception {
        try (Stream<Path> all = Files.list(dir)) {
            return all.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static long count(String text, String fragment) {
        return text.lines().filter(l -> l.contains(fragment)).count();
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String url, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"?([^\",}]*)").matcher(json);
        return m.find() ? m.group(1) : "";
    }
}
