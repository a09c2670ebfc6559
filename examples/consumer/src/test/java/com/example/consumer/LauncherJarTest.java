package com.example.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * README "Use it from your build": the launcher as published ({@code dev.airouter:launcher}, its main
 * artifact the runnable jar, fetched by maven-dependency-plugin's copy): {@code --version}, then
 * {@code backend} on free ports, a chat turn, SIGINT, exit 0, nothing left running.
 */
class LauncherJarTest {
    private static final Path JAR = Path.of(System.getProperty("launcher.jar", "target/launcher/launcher.jar"));

    @Test
    void versionNamesThePublishedVersion() throws Exception {
        Process p = start(List.of("--version"));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "--version did not end");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains(System.getProperty("airouter.version", "")), out);
    }

    @Test
    void servesAChatAndStopsCleanlyOnSigint() throws Exception {
        int port = Ports.free();
        Path logs = Files.createTempDirectory("consumer-launcher-");
        Path output = logs.resolve("launcher.out");
        Process launcher = start(List.of("backend", "--backend-port", Integer.toString(port), "--router-port", "0",
                "--log-dir", logs.toString(), "--redis-url", "none"), output);
        List<ProcessHandle> tree = new ArrayList<>();
        try {
            HttpClient http = HttpClient.newHttpClient();
            URI base = URI.create("http://127.0.0.1:" + port);
            Ports.await("the launcher's backend ready (output: " + output + ")", Duration.ofSeconds(90),
                    () -> launcher.isAlive() && ok(http, base.resolve("/readyz")));
            launcher.toHandle().descendants().forEach(tree::add);
            HttpResponse<String> chat = http.send(HttpRequest.newBuilder(base.resolve("/api/chat"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"What is 2 + 2?\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, chat.statusCode(), chat.body());

            new ProcessBuilder("kill", "-INT", Long.toString(launcher.pid())).inheritIO().start().waitFor();
            assertTrue(launcher.waitFor(60, TimeUnit.SECONDS), "the launcher did not end within 60 s of SIGINT");
            assertEquals(0, launcher.exitValue(), "exit code after SIGINT; output: " + Files.readString(output));
            assertTrue(!tree.isEmpty(), "the launcher should have spawned a router");
            for (ProcessHandle child : tree) {
                Ports.await("pid " + child.pid() + " gone", Duration.ofSeconds(10),
                        () -> !LifecycleExampleTest.alive(child.pid()));
            }
        } finally {
            if (launcher.isAlive()) {
                launcher.destroyForcibly();
            }
            tree.forEach(ProcessHandle::destroyForcibly);
        }
    }

    private static boolean ok(HttpClient http, URI uri) {
        try {
            return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Process start(List<String> args) throws IOException {
        return command(args).redirectErrorStream(true).start();
    }

    private static Process start(List<String> args, Path output) throws IOException {
        return command(args).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    /** java -jar launcher.jar …, with SIGINT at its default disposition even if this JVM's parent ignores it. */
    private static ProcessBuilder command(List<String> args) {
        List<String> command = new ArrayList<>(List.of("/usr/bin/env", "--default-signal=INT",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("NO_COLOR", "1");
        pb.environment().remove("REDIS_URL");
        return pb;
    }
}
