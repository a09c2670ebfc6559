package dev.airouter.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.HttpConnection;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.Processes;
import dev.airouter.testing.RawHttp;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code kill -9} of the real {@code launcher.jar} at random moments — during start-up, under chat
 * load, and during the shutdown that follows SIGINT — in {@code backend} mode and, when
 * {@code frontend/node_modules} exists, in {@code dev} mode. Start-up: 0–1.5 s (dev 0–5 s) after the
 * launcher's first child appeared; load: 0.2–2 s after ready; shutdown: 0–0.25 s after SIGINT, while
 * the router is still stopping. Every process the launcher started must be gone within 2 s (asserted
 * with a 4 s deadline for a loaded machine; the measured maximum is reported). Processes are found
 * from the first moment by {@link ProcessTracker}.
 *
 * <p>Knobs: {@code -Dorphans.trials=10} (backend-mode trials; dev mode adds 3),
 * {@code -Dorphans.seed=N}.
 */
@ExtendWith(NoLeftoverProcesses.class)
class OrphansTest {
    static final Path JAR = Path.of(System.getProperty("launcher.jar",
            Backends.REPO.resolve("launcher/target/launcher.jar").toString()));
    static final Duration PROMISE = Duration.ofSeconds(2);
    static final Duration DEADLINE = Duration.ofSeconds(4);
    static final Duration READY = Duration.ofSeconds(90);

    enum Phase { STARTUP, LOAD, SHUTDOWN }

    record Trial(int n, String mode, Phase phase, long delayMillis, int seen, int aliveAtKill, long goneMillis,
            String last, List<String> survivors, String note) {}

    @Test
    void killDashNineOfTheLauncherAtRandomMomentsLeavesNoProcessBehind() throws Exception {
        assertThat(JAR).as("launcher jar %s is missing: build it first, e.g. `mvn -B verify -Preliability` from the"
                + " repository root (it builds launcher/ before reliability/)", JAR).exists();
        long seed = Long.getLong("orphans.seed", System.nanoTime());
        Random random = new Random(seed);
        boolean dev = Files.isDirectory(Backends.REPO.resolve("frontend/node_modules"));
        System.out.printf("[orphans] seed %d (-Dorphans.seed=%d); dev mode %s%n", seed, seed,
                dev ? "included" : "skipped (no frontend/node_modules)");
        List<String[]> plan = new ArrayList<>();
        int trials = Integer.getInteger("orphans.trials", 10);
        for (int i = 0; i < trials; i++) {
            plan.add(new String[] {"backend", Phase.values()[i % 3].name()});
        }
        if (dev) {
            for (Phase p : Phase.values()) {
                plan.add(new String[] {"dev", p.name()});
            }
        }
        Collections.shuffle(plan, random);
        List<Trial> results = new ArrayList<>();
        for (int i = 0; i < plan.size(); i++) {
            Trial t = trial(i + 1, plan.get(i)[0], Phase.valueOf(plan.get(i)[1]), random);
            System.out.printf("[orphans] trial %2d: %-7s %-8s kill %4d ms in: %2d processes running below it (%3d seen),"
                    + " all gone after %4d ms%s%s%s%n", t.n(), t.mode(), t.phase(), t.delayMillis(), t.aliveAtKill(), t.seen(),
                    t.goneMillis(), t.last().isEmpty() ? "" : ", last: " + t.last(),
                    t.survivors().isEmpty() ? "" : "; SURVIVORS " + t.survivors(), t.note().isEmpty() ? "" : " (" + t.note() + ")");
            results.add(t);
        }
        long max = results.stream().mapToLong(Trial::goneMillis).max().orElse(0);
        long overPromise = results.stream().filter(t -> t.goneMillis() > PROMISE.toMillis()).count();
        System.out.printf("[orphans] %d trials, max %d ms until every process was gone; %d over the 2 s promise%n",
                results.size(), max, overPromise);
        assertThat(results).as("trials with surviving processes").allMatch(t -> t.survivors().isEmpty());
        assertThat(max).as("ms until every process was gone (deadline %s)", DEADLINE).isLessThanOrEqualTo(DEADLINE.toMillis());
        assertThat(results).as("trials that had started processes").anyMatch(t -> t.aliveAtKill() > 0);
    }

    private Trial trial(int n, String mode, Phase phase, Random random) throws Exception {
        Path logs = Backends.tempDir("airouter-orphans-");
        List<String> args = new ArrayList<>(List.of(mode, "--backend-port", "0", "--router-port", "0",
                "--redis-url", "none", "--log-dir", logs.toString()));
        if (mode.equals("dev")) {
            args.addAll(List.of("--frontend-port", "0"));
        }
        String marker = UUID.randomUUID().toString();
        Launched launched = Launched.start(args, marker);
        AtomicBoolean loading = new AtomicBoolean(true);
        List<Thread> clients = new ArrayList<>();
        long delay;
        String note = "";
        try (ProcessTracker tracker = new ProcessTracker(launched.process.toHandle(), marker)) {
            switch (phase) {
                case STARTUP:
                    // from the launcher's first child on (a JVM that has started nothing yet is a trivial case)
                    await().atMost(READY).pollInterval(Duration.ofMillis(5))
                            .until(() -> tracker.size() > 1 || !launched.process.isAlive());
                    delay = random.nextInt(mode.equals("dev") ? 5000 : 1500);
                    Backends.hold(Duration.ofMillis(delay));
                    break;
                case LOAD: {
                    URI backend = URI.create(launched.group("backend:\\s+(\\S+)", READY));
                    launched.awaitLine("ready in", READY);
                    for (int i = 0; i < 3; i++) {
                        int c = i;
                        Thread t = new Thread(() -> chat(backend, c, loading), "orphans-load-" + i);
                        t.start();
                        clients.add(t);
                    }
                    delay = 200 + random.nextInt(1800);
                    Backends.hold(Duration.ofMillis(delay));
                    break;
                }
                default: {
                    launched.awaitLine("ready in", READY);
                    FaultsTest.signal("INT", launched.process.pid());
                    delay = random.nextInt(250);
                    Backends.hold(Duration.ofMillis(delay));
                    if (!launched.process.isAlive()) {
                        note = "had exited by itself (code " + launched.process.exitValue() + ")";
                    }
                }
            }
            tracker.collectDescendants();
            tracker.sweep();
            launched.process.destroyForcibly(); // SIGKILL
            long killed = System.nanoTime();
            List<Long> below = new ArrayList<>(tracker.alive());
            below.remove(launched.process.pid());
            launched.process.waitFor(10, TimeUnit.SECONDS);
            tracker.sweep();
            long gone;
            String[] last = {""};
            try {
                await().atMost(DEADLINE).pollInterval(Duration.ofMillis(10)).until(() -> {
                    tracker.sweep();
                    List<Long> alive = tracker.alive();
                    if (alive.size() == 1) {
                        last[0] = Processes.commandLine(alive.get(0)).orElse("?");
                    }
                    return alive.isEmpty();
                });
                gone = (System.nanoTime() - killed) / 1_000_000;
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                gone = (System.nanoTime() - killed) / 1_000_000;
            }
            List<Long> left = tracker.alive();
            List<String> survivors = new ArrayList<>();
            for (long pid : left) {
                survivors.add(pid + " " + Processes.commandLine(pid).orElse("?"));
                Processes.kill(pid);
            }
            if (!survivors.isEmpty()) {
                System.out.println("[orphans] launcher output of trial " + n + ":\n  " + String.join("\n  ", launched.lines));
            }
            String lastShown = last[0].length() > 70 ? last[0].substring(0, 70) + "…" : last[0];
            return new Trial(n, mode, phase, delay, tracker.size() - 1, below.size(), gone, lastShown, survivors, note);
        } finally {
            loading.set(false);
            for (Thread t : clients) {
                t.join(10_000);
            }
            if (launched.process.isAlive()) {
                launched.process.destroyForcibly().waitFor();
            }
        }
    }

    private static void chat(URI backend, int client, AtomicBoolean loading) {
        try (HttpConnection http = RawHttp.keepAlive(backend, Duration.ofSeconds(5))) {
            for (int i = 0; loading.get(); i++) {
                try {
                    http.postJson("/api/chat", "{\"message\":\"hello number " + i + "\",\"sessionId\":\"orphan-" + client + "\"}");
                } catch (IOException e) {
                    return; // the launcher is gone
                }
            }
        }
    }

    /** The launcher jar in a child JVM, started from the repository root with SIGINT at its default. */
    static final class Launched {
        final Process process;
        final List<String> lines = new CopyOnWriteArrayList<>();

        private Launched(Process process) {
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        lines.add(l);
                    }
                } catch (IOException e) {
                    // the launcher is gone
                }
            }, "launcher-output-" + process.pid());
            reader.setDaemon(true);
            reader.start();
        }

        static Launched start(List<String> args, String marker) throws IOException {
            List<String> command = new ArrayList<>();
            if (Files.isExecutable(Path.of("/usr/bin/env"))) {
                command.addAll(List.of("/usr/bin/env", "--default-signal=INT")); // VERSIONS.md pitfall 11
            }
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(List.of("-jar", JAR.toString()));
            command.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(command).directory(Backends.REPO.toFile()).redirectErrorStream(true);
            pb.environment().put("NO_COLOR", "1");
            pb.environment().put(ProcessTracker.MARKER, marker);
            pb.environment().remove("REDIS_URL");
            return new Launched(pb.start());
        }

        void awaitLine(String regex, Duration timeout) {
            Pattern p = Pattern.compile(regex);
            await().atMost(timeout).pollInterval(Duration.ofMillis(20))
                    .until(() -> lines.stream().anyMatch(l -> p.matcher(l).find()) || !process.isAlive());
            if (lines.stream().noneMatch(l -> p.matcher(l).find())) {
                throw new AssertionError("launcher exited without printing /" + regex + "/; output:\n" + String.join("\n", lines));
            }
        }

        String group(String regex, Duration timeout) {
            awaitLine(regex, timeout);
            Pattern p = Pattern.compile(regex);
            for (String l : lines) {
                Matcher m = p.matcher(l);
                if (m.find()) {
                    return m.group(1);
                }
            }
            throw new AssertionError(regex);
        }
    }
}
