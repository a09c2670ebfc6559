package dev.airouter.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.airouter.testing.Fixtures;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.Processes;
import dev.airouter.testing.Trees;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloads through the real launcher.jar: a save in the watched tree (one reload per burst, none for
 * ignored paths, a broken save never replaces a working router, saves during a slow reload are one
 * follow-up, a router writing into its own tree does not loop), SIGHUP (reload in {@code backend},
 * stop in {@code dev}, a warning when it is ignored), and {@code launcher reload} with the run's token.
 * Each test edits a copy of the bundled router, never the repository's.
 */
@ExtendWith(NoLeftoverProcesses.class)
class ReloadIT {
    static final Duration START = Duration.ofSeconds(90);
    static final Duration RELOAD = Duration.ofSeconds(60);
    static final String GREETING = "Hello! How can I help you today?";
    static final String RELOADING = "\\[launcher\\] .* — reloading router \\(generation (\\d+)\\)";
    @TempDir Path work;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    /** A copy of the bundled router's package under {@code root/ai_router}. */
    private static Path copyRouter(Path root) throws IOException {
        Trees.copy(LauncherProcess.REPO.resolve("python-router").resolve("ai_router"), root.resolve("ai_router"),
                Trees::pythonCache);
        return root;
    }

    /** {@code backend} running the router copy in {@code tree} through {@code --router-command}. */
    private LauncherProcess backendOn(Path tree, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("backend", "--backend-port", "0", "--router-port", "0",
                "--redis-url", "none", "--log-dir", work.resolve("logs").toString(),
                // from the copy's directory: python -m puts the working directory first on sys.path
                "--router-command", "/bin/sh -c 'cd " + tree + " && exec " + Fixtures.python()
                        + " -m ai_router --lifeline ppid'"));
        args.addAll(List.of(extra));
        return LauncherProcess.start(args);
    }

    private String reply(String backend, String message) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(backend + "/api/chat"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"" + message + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    private static void edit(Path file, String from, String to) throws IOException {
        String text = Files.readString(file);
        assertThat(text).contains(from);
        Files.writeString(file, text.replace(from, to));
    }

    /** Waits longer than the watch's quiet period, so that the saves before and after are separate bursts. */
    private static void pastQuietPeriod() {
        long until = System.nanoTime() + RouterWatch.quietPeriod().multipliedBy(3).toNanos();
        await().pollInterval(Duration.ofMillis(50)).until(() -> System.nanoTime() > until);
    }

    /** Asserts that no further reload begins for a while (the quiet period and then some). */
    private static void noMoreReloads(LauncherProcess l, long expected) {
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> l.count(RELOADING) == expected);
    }

    private static void stop(LauncherProcess l) throws Exception {
        Set<Long> tree = l.tree();
        l.signal("TERM");
        assertThat(l.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(l.process.exitValue()).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> tree.stream().noneMatch(Processes::isAlive));
    }

    @Test
    void aSaveReloadsABurstIsOneReloadAndIgnoredPathsNone() throws Exception {
        Path tree = copyRouter(work.resolve("router"));
        Path handlers = tree.resolve("ai_router").resolve("handlers.py");
        try (LauncherProcess l = backendOn(tree, "--watch", "--watch-dir", tree.toString())) {
            String backend = l.group("\\[launcher\\]\\s+backend:\\s+(\\S+)", START);
            l.awaitLine("\\[launcher\\] watching " + java.util.regex.Pattern.quote(tree.toString()), START);
            assertThat(reply(backend, "Hello")).contains(GREETING);

            edit(handlers, GREETING, "Hi from the edited router!");
            assertThat(l.awaitNth(RELOADING, 1, RELOAD)).contains("ai_router/handlers.py changed — reloading router"
                    + " (generation 2)");
            l.awaitLine("router reloaded: generation 2 serves \\(was 1", RELOAD);
            assertThat(reply(backend, "Hello")).contains("Hi from the edited router!");

            for (int i = 0; i < 5; i++) { // five files written at once: one reload
                Files.writeString(tree.resolve("ai_router").resolve("extra_" + i + ".py"), "X = " + i + "\n");
            }
            assertThat(l.awaitNth(RELOADING, 2, RELOAD)).contains("and 4 more changed").contains("(generation 3)");
            l.awaitLine("router reloaded: generation 3 serves", RELOAD);
            noMoreReloads(l, 2);

            // what says nothing about the code: caches, logs, virtualenvs, dot-files, editor temporaries
            for (String ignored : List.of("ai_router/__pycache__/handlers.cpython-311.pyc", "ai_router/cache.pyc",
                    "logs/router.log", "venv/lib/site.py", ".venv/lib/site.py", "node_modules/x/index.js",
                    ".git/index", "ai_router/.handlers.py.swp", "ai_router/handlers.py~", "ai_router/.#handlers.py",
                    "ai_router/4913", "ai_router/.handlers.py.swx", ".hidden")) {
                Path file = tree.resolve(ignored);
                Files.createDirectories(file.getParent());
                Files.writeString(file, "ignored\n");
            }
            noMoreReloads(l, 2);
            assertThat(reply(backend, "Hello")).contains("Hi from the edited router!");

            // a new subdirectory made with its files at once (mkdir -p && cp): they count, and it is watched
            Path sub = tree.resolve("ai_router").resolve("plugins");
            Files.createDirectories(sub);
            Files.writeString(sub.resolve("weather.py"), "WEATHER = 'sunny'\n");
            assertThat(l.awaitNth(RELOADING, 3, RELOAD)).contains("ai_router/plugins/weather.py");
            l.awaitLine("router reloaded: generation 4 serves", RELOAD);
            Files.writeString(sub.resolve("weather.py"), "WEATHER = 'rain'\n");
            assertThat(l.awaitNth(RELOADING, 4, RELOAD)).contains("ai_router/plugins/weather.py changed");
            stop(l);
        }
    }

    @Test
    void aBrokenSaveKeepsTheOldRouterAndSavesDuringASlowReloadAreOneFollowUp() throws Exception {
        Path tree = copyRouter(work.resolve("router"));
        Path handlers = tree.resolve("ai_router").resolve("handlers.py");
        String original = Files.readString(handlers);
        try (LauncherProcess l = backendOn(tree, "--watch", "--watch-dir", tree.toString())) {
            String backend = l.group("\\[launcher\\]\\s+backend:\\s+(\\S+)", START);
            l.awaitLine("\\[launcher\\] watching ", START);

            Files.writeString(handlers, original + "\ndef broken(:\n"); // a syntax error
            l.awaitNth(RELOADING, 1, RELOAD);
            l.awaitLine("reload failed — the previous generation keeps serving", RELOAD);
            l.awaitLine("SyntaxError", RELOAD);
            assertThat(reply(backend, "Hello")).contains(GREETING).contains("\"routerGeneration\":1");

            // reload asked for by command while the tree is still broken: exit 1 with the log tail
            LauncherCliTest.Result failed = LauncherCliTest.run("reload", "--log-dir", work.resolve("logs").toString());
            assertThat(failed.code()).as(failed.out() + failed.err()).isEqualTo(1);
            assertThat(failed.err()).contains("the previous generation keeps serving").contains("SyntaxError");

            // the fix, with a start that takes 6 s (a model load): saves during it become one follow-up
            Files.writeString(handlers, original.replace(GREETING, "Fixed and slow!") + "\nimport time as _t\n_t.sleep(6)\n");
            String slow = l.awaitNth(RELOADING, 2, RELOAD);
            assertThat(slow).contains("handlers.py changed");
            for (int i = 0; i < 3; i++) {
                pastQuietPeriod();
                Files.writeString(tree.resolve("ai_router").resolve("extra_" + i + ".py"), "X = " + i + "\n");
            }
            // a reload asked for by command meanwhile is refused: one at a time
            LauncherCliTest.Result busy = LauncherCliTest.run("reload", "--log-dir", work.resolve("logs").toString());
            assertThat(busy.code()).isEqualTo(1);
            assertThat(busy.err()).contains("409").contains("under way");
            l.awaitLine("a reload is under way; one more follows it", RELOAD);
            l.awaitNth("router reloaded: generation \\d+ serves", 1, RELOAD);
            l.awaitNth(RELOADING, 3, RELOAD);
            l.awaitNth("router reloaded: generation \\d+ serves", 2, RELOAD);
            noMoreReloads(l, 3);
            assertThat(reply(backend, "Hello")).contains("Fixed and slow!");
            stop(l);
        }
    }

    @Test
    void aRouterThatWritesIntoItsOwnTreeDoesNotReloadForEver() throws Exception {
        Path tree = copyRouter(work.resolve("router"));
        // every start writes a module into the watched tree, outside what the watch ignores
        Path init = tree.resolve("ai_router").resolve("__init__.py");
        Files.writeString(init, Files.readString(init) + "\nimport os as _os, time as _time\n"
                + "with open(_os.path.join(_os.path.dirname(__file__), 'generated_state.py'), 'w') as _f:\n"
                + "    _f.write('STARTED = %r\\n' % _time.time())\n");
        try (LauncherProcess l = backendOn(tree, "--watch", "--watch-dir", tree.toString())) {
            l.group("\\[launcher\\]\\s+backend:\\s+(\\S+)", START);
            l.awaitLine("\\[launcher\\] watching ", START);
            Files.writeString(tree.resolve("ai_router").resolve("extra.py"), "X = 1\n");
            l.awaitLine("written by the router itself", Duration.ofSeconds(120));
            long reloads = l.count(RELOADING);
            assertThat(reloads).as("reloads before the loop was cut").isBetween(2L, 1L + ReloadTrigger.MAX_CHAINED);
            noMoreReloads(l, reloads);
            // the router's own file no longer reloads, any other file still does
            Files.writeString(tree.resolve("ai_router").resolve("extra.py"), "X = 2\n");
            assertThat(l.awaitNth(RELOADING, (int) reloads + 1, RELOAD)).contains("ai_router/extra.py changed");
            stop(l);
        }
    }

    @Test
    void sighupReloadsTheBackendAndReloadUsesTheRunsToken() throws Exception {
        Path logs = work.resolve("logs");
        try (LauncherProcess l = LauncherProcess.start(List.of("backend", "--backend-port", "0", "--router-port", "0",
                "--redis-url", "none", "--log-dir", logs.toString()))) {
            String backend = l.group("\\[launcher\\]\\s+backend:\\s+(\\S+)", START);
            assertThat(l.lines).noneMatch(s -> s.contains("SIGHUP"));
            l.signal("HUP");
            assertThat(l.awaitNth(RELOADING, 1, RELOAD)).contains("SIGHUP received — reloading router (generation 2)");
            l.awaitLine("router reloaded: generation 2 serves \\(was 1", RELOAD);
            assertThat(reply(backend, "Hello")).contains("\"routerGeneration\":2");
            assertThat(l.process.isAlive()).isTrue();

            LauncherCliTest.Result ok = LauncherCliTest.run("reload", "--log-dir", logs.toString());
            assertThat(ok.code()).as(ok.err()).isZero();
            assertThat(ok.out()).contains("reloaded: generation 3 serves (was 2)");

            // the token: in a file of mode 0600 outside the log directory, named by the run file
            Properties run = RunFile.read(logs).orElseThrow();
            Path tokenFile = Path.of(run.getProperty("tokenFile"));
            assertThat(tokenFile.toAbsolutePath().normalize().startsWith(logs.toAbsolutePath().normalize()))
                    .as("token file %s inside the log directory", tokenFile).isFalse();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile))).isEqualTo("rw-------");
            String token = Files.readString(tokenFile).trim();
            assertThat(token).hasSizeGreaterThanOrEqualTo(22); // ≥ 128 bits in base64url

            LauncherCliTest.Result wrong = LauncherCliTest.run("reload", "--url", backend, "--token",
                    "x".repeat(token.length()));
            assertThat(wrong.code()).isEqualTo(1);
            assertThat(wrong.err()).contains("HTTP 401");
            LauncherCliTest.Result right = LauncherCliTest.run("reload", "--url", backend, "--token", token);
            assertThat(right.code()).as(right.err()).isZero();
            l.awaitLine("refused an admin request from 127\\.0\\.0\\.1", RELOAD);

            stop(l);
            assertThat(tokenFile).as("the token file is removed when the run ends").doesNotExist();
            // never in the console nor in any log
            assertThat(String.join("\n", l.lines)).doesNotContain(token);
            try (Stream<Path> files = Files.walk(logs)) {
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                    assertThat(Files.readString(f)).as(f.toString()).doesNotContain(token);
                }
            }
        }
        LauncherCliTest.Result gone = LauncherCliTest.run("reload", "--url", "http://127.0.0.1:"
                + dev.airouter.lifecycle.PortHolder.freeLoopbackPort(), "--token", "t".repeat(43));
        assertThat(gone.code()).as("backend not reachable").isEqualTo(3);
        LauncherCliTest.Result none = LauncherCliTest.run("reload", "--log-dir", work.resolve("nothing").toString());
        assertThat(none.code()).as("nothing running").isEqualTo(3);
        assertThat(none.err()).contains("no running backend found");
    }

    @Test
    void devWatchesTheRepositorysRouterAndStopsOnSighup() throws Exception {
        Path root = work.resolve("checkout");
        copyRouter(root.resolve("python-router"));
        Path handlers = root.resolve("python-router").resolve("ai_router").resolve("handlers.py");
        try (LauncherProcess l = LauncherProcess.start(root, LauncherProcess.JAR, List.of("dev", "--no-frontend",
                "--backend-port", "0", "--router-port", "0", "--redis-url", "none", "--log-dir",
                work.resolve("logs").toString()), Map.of())) {
            String backend = l.group("\\[launcher\\]\\s+backend:\\s+(\\S+)", START);
            l.awaitLine("\\[launcher\\] watching .*python-router", START);
            assertThat(reply(backend, "Hello")).contains(GREETING);
            long t0 = System.nanoTime();
            edit(handlers, GREETING, "Hello from the dev loop!");
            await().atMost(RELOAD).pollInterval(Duration.ofMillis(50))
                    .until(() -> reply(backend, "Hello").contains("Hello from the dev loop!"));
            System.out.printf("save to new code answering in dev: %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            assertThat(l.awaitNth(RELOADING, 1, RELOAD)).contains("ai_router/handlers.py changed");

            Set<Long> processes = l.tree();
            l.signal("HUP"); // the terminal went away: dev stops everything
            assertThat(l.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(l.process.exitValue()).isZero();
            assertThat(String.join("\n", l.lines)).contains("SIGHUP received").contains("Shutting down");
            await().atMost(Duration.ofSeconds(5)).until(() -> processes.stream().noneMatch(Processes::isAlive));
        }
    }

    @Test
    void aBackendStartedWithSighupIgnoredSaysSoOnceAndWithoutAWatchDirNothingIsWatched() throws Exception {
        try (LauncherProcess l = LauncherProcess.start(LauncherProcess.REPO, LauncherProcess.JAR, List.of("backend",
                "--backend-port", "0", "--router-port", "0", "--redis-url", "none", "--watch", "--log-dir",
                work.resolve("logs").toString()), Map.of(), true)) {
            l.group("\\[launcher\\]\\s+backend:\\s+(\\S+)", START);
            assertThat(l.awaitLine("SIGHUP cannot be handled here", START)).contains("launcher reload");
            assertThat(l.count("SIGHUP cannot be handled here")).isEqualTo(1);
            l.signal("HUP"); // ignored: still running
            LauncherCliTest.Result ok = LauncherCliTest.run("reload", "--log-dir", work.resolve("logs").toString());
            assertThat(ok.code()).as(ok.err()).isZero();
            assertThat(l.process.isAlive()).isTrue();
            stop(l);
        }
        // --router-command without --watch-dir: nothing to watch, said once
        Path tree = copyRouter(work.resolve("router"));
        try (LauncherProcess l = backendOn(tree, "--watch")) {
            l.group("\\[launcher\\]\\s+backend:\\s+(\\S+)", START);
            assertThat(l.awaitLine("watch: nothing to watch", START)).contains("--watch-dir");
            stop(l);
        }
    }
}
