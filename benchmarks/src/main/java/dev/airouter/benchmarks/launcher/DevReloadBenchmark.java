package dev.airouter.benchmarks.launcher;

import dev.airouter.benchmarks.Stats;
import dev.airouter.testing.Fixtures;
import dev.airouter.testing.FreePorts;
import dev.airouter.testing.Trees;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The edit loop of {@code dev}: from saving {@code handlers.py} to the chat answering with the new
 * code, against the router's own cold start (spawn to a healthy {@code /health}) measured the same
 * way in the same run. The target: save → new code ≤ router start + 0.5 s (the watch's 300 ms quiet
 * period, the start, the switch).
 *
 * <p>{@code dev --no-frontend} of the real launcher.jar runs in a copy of the repository's
 * {@code python-router/} (the copy is edited, never the repository); each save writes a new greeting
 * into {@code handlers.py} as an editor would, and the page's request is polled every 10 ms.
 *
 * <p>Usage: {@code DevReloadBenchmark REPO_ROOT [SAVES]} (default 10). Prints a Markdown table and the
 * details.
 */
public final class DevReloadBenchmark {
    private static final String GREETING = "Hello! How can I help you today?";
    private static final Pattern BACKEND = Pattern.compile("\\[launcher\\]\\s+backend:\\s+(\\S+)");

    private DevReloadBenchmark() {}

    /**
     * @param args repository root and optional number of saves
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        int saves = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        System.out.print(run(repo, saves));
    }

    /**
     * @param repo the repository root (its launcher jar built)
     * @param saves how many saves to time
     * @return the Markdown table, a note and the details
     * @throws Exception on failure
     */
    static String run(Path repo, int saves) throws Exception {
        Path jar = repo.resolve("launcher/target/launcher.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("build the launcher first: " + jar + " is missing");
        }
        Path checkout = Files.createTempDirectory("airouter-bench-dev-reload-");
        Path routerDir = checkout.resolve("python-router");
        Trees.copy(repo.resolve("python-router").resolve("ai_router"), routerDir.resolve("ai_router"), Trees::pythonCache);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();

        List<Double> starts = new ArrayList<>();
        for (int i = 0; i < saves; i++) {
            starts.add(coldStart(routerDir, http));
        }

        List<Double> toNewCode = new ArrayList<>();
        List<String> lines = new CopyOnWriteArrayList<>();
        Path logs = Files.createTempDirectory("airouter-bench-dev-reload-logs-");
        Process launcher = new ProcessBuilder("/usr/bin/env", "--default-signal=INT", java(), "-jar", jar.toString(),
                "dev", "--no-frontend", "--backend-port", "0", "--router-port", "0", "--redis-url", "none",
                "--log-dir", logs.toString()).directory(checkout.toFile()).redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(launcher.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // exited
            }
        });
        reader.setDaemon(true);
        reader.start();
        try {
            String backend = awaitGroup(lines, BACKEND, launcher, Duration.ofSeconds(90));
            awaitCount(lines, "] watching ", 1, launcher, Duration.ofSeconds(30));
            Path handlers = routerDir.resolve("ai_router").resolve("handlers.py");
            String original = Files.readString(handlers);
            for (int i = 1; i <= saves; i++) {
                String marker = "Edit number " + i + " answers!";
                long t0 = System.nanoTime();
                Files.writeString(handlers, original.replace(GREETING, marker));
                long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
                while (!chat(http, backend).contains(marker)) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("save " + i + " never answered; launcher output:\n"
                                + String.join("\n", lines));
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                }
                toNewCode.add((System.nanoTime() - t0) / 1e6);
                awaitCount(lines, "router reloaded: generation", i, launcher, Duration.ofSeconds(60));
            }
        } finally {
            new ProcessBuilder("kill", "-INT", Long.toString(launcher.pid())).start().waitFor();
            if (!launcher.waitFor(20, TimeUnit.SECONDS)) {
                launcher.destroyForcibly().waitFor();
            }
        }
        Stats start = Stats.of(starts);
        Stats save = Stats.of(toNewCode);
        StringBuilder out = new StringBuilder();
        out.append("| figure | median | p90 | min–max | target |\n");
        out.append("|---|---|---|---|---|\n");
        out.append(String.format(Locale.ROOT, "| router cold start (spawn → healthy) | %.0f ms | %.0f ms | %.0f–%.0f ms | — |%n",
                start.median(), start.p90(), start.min(), start.max()));
        out.append(String.format(Locale.ROOT, "| dev: save → new code answering | %.0f ms | %.0f ms | %.0f–%.0f ms | ≤ start + 500"
                + " ms = %.0f ms: %s |%n", save.median(), save.p90(), save.min(), save.max(), start.median() + 500,
                save.median() <= start.median() + 500 ? "met" : "missed"));
        out.append('\n');
        out.append(String.format(Locale.ROOT, "Save → new code: %d saves of handlers.py in `dev --no-frontend` (a copy of"
                + " python-router/), the chat polled every 10 ms; includes the watch's 300 ms quiet period. Difference"
                + " to the cold start: %+.0f ms (median). Command: `java -cp \"benchmarks/target/classes:$(cat"
                + " benchmarks/target/classpath.txt)\" dev.airouter.benchmarks.launcher.DevReloadBenchmark . %d`.%n%n",
                saves, save.median() - start.median(), saves));
        out.append("```\n");
        out.append("cold starts (ms): ").append(format(starts)).append('\n');
        out.append("save → new code (ms): ").append(format(toNewCode)).append('\n');
        out.append("```\n");
        return out.toString();
    }

    private static double coldStart(Path routerDir, HttpClient http) throws Exception {
        int port = FreePorts.next();
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(Fixtures.python(), "-m", "ai_router", "--port", Integer.toString(port))
                .directory(routerDir.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectErrorStream(true).start();
        try {
            long deadline = t0 + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                            + "/health")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) {
                        return (System.nanoTime() - t0) / 1e6;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                if (System.nanoTime() > deadline || !p.isAlive()) {
                    throw new IllegalStateException("the router did not start (exit " + (p.isAlive() ? "-" : p.exitValue())
                            + ")");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
        } finally {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        }
    }

    private static String chat(HttpClient http, String backend) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(backend + "/api/chat")).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"Hello\"}")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String awaitGroup(List<String> lines, Pattern pattern, Process p, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && p.isAlive()) {
            for (String l : lines) {
                Matcher m = pattern.matcher(l);
                if (m.find()) {
                    return m.group(1);
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        throw new IllegalStateException("launcher never printed " + pattern + ":\n" + String.join("\n", lines));
    }

    private static void awaitCount(List<String> lines, String text, int n, Process p, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (lines.stream().filter(l -> l.contains(text)).count() < n) {
            if (System.nanoTime() > deadline || !p.isAlive()) {
                throw new IllegalStateException("launcher printed '" + text + "' fewer than " + n + " times:\n"
                        + String.join("\n", lines));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String format(List<Double> values) {
        return values.stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).toList().toString();
    }
}
