package dev.airouter.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LauncherCliTest {
    @TempDir Path logs;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Launcher.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    /**
     * {@link #run}, also capturing what the runner prints through its console (on {@code System.out}),
     * where start errors go; that output is added to both {@code out} and {@code err}.
     */
    static Result runCapturingConsole(String... args) {
        java.io.PrintStream original = System.out;
        java.io.ByteArrayOutputStream console = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(console, true, java.nio.charset.StandardCharsets.UTF_8));
        Result r;
        try {
            r = run(args);
        } finally {
            System.setOut(original);
        }
        String printed = console.toString(java.nio.charset.StandardCharsets.UTF_8);
        System.out.print(printed);
        return new Result(r.code(), r.out() + printed, r.err() + printed);
    }

    @Test
    void helpListsEveryCommand() {
        Result r = run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("dev", "backend", "status", "reload", "Exit codes");
        Result reload = run("reload", "--help");
        assertThat(reload.code()).isZero();
        assertThat(reload.out()).contains("--url", "--token", "AIROUTER_ADMIN_TOKEN", "--log-dir", "--timeout",
                "backend not reachable");
        assertThat(run("backend", "--help").out()).contains("--watch", "--watch-dir", "--drain-timeout", "SIGHUP");
        Result dev = run("dev", "--help");
        assertThat(dev.code()).isZero();
        assertThat(dev.out()).contains("--backend-port", "--frontend-port", "--router-port", "--router-command",
                "--router-url", "--redis-url", "--history-limit", "--session-ttl", "--log-dir", "--no-frontend",
                "--frontend-dir", "--router-max-history", "--max-message-chars", "--routers", "AIROUTER_ROUTERS",
                "--no-watch", "--watch-dir", "--drain-timeout", "AIROUTER_DRAIN_TIMEOUT",
                "AIROUTER_BACKEND_PORT",
                "AIROUTER_ROUTER_MAX_HISTORY", "AIROUTER_MAX_MESSAGE_CHARS",
                "REDIS_URL", "--instance-id", "AIROUTER_INSTANCE_ID");
        assertThat(run("backend", "--help").out()).contains("--instance-id", "AIROUTER_INSTANCE_ID");
    }

    @Test
    void versionNamesTheCommit() {
        Result r = run("--version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("airouter launcher", "commit");
        assertThat(run("status", "--version").out()).contains("commit");
    }

    @Test
    void badOptionsAreUsageErrorsNamingOptionAndValue() {
        Result port = run("dev", "--backend-port", "abc");
        assertThat(port.code()).isEqualTo(2);
        assertThat(port.err()).contains("--backend-port").contains("abc");

        Result ttl = run("backend", "--session-ttl", "5 parsecs", "--log-dir", logs.toString());
        assertThat(ttl.code()).isEqualTo(2);
        assertThat(ttl.err()).contains("--session-ttl").contains("'5 parsecs' is not a duration");

        Result range = run("dev", "--backend-port", "70000", "--log-dir", logs.toString());
        assertThat(range.code()).isEqualTo(2);
        assertThat(range.err()).contains("--backend-port must be 0-65535").contains("70000");

        Result both = run("backend", "--router-url", "http://127.0.0.1:1", "--router-command", "x",
                "--log-dir", logs.toString());
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).contains("--router-url (http://127.0.0.1:1/) and --router-command (x …) conflict");

        Result drain = run("backend", "--drain-timeout", "soon", "--log-dir", logs.toString());
        assertThat(drain.code()).isEqualTo(2);
        assertThat(drain.err()).contains("--drain-timeout").contains("'soon' is not a duration");

        Result watchDir = run("backend", "--watch", "--watch-dir", logs.resolve("no-such-dir").toString(),
                "--router-command", "python3 -m ai_router", "--backend-port", "0", "--log-dir", logs.toString());
        assertThat(watchDir.code()).isEqualTo(2);
        assertThat(watchDir.err()).contains("--watch-dir").contains("no-such-dir").contains("is not a directory");

        Result token = run("reload", "--url", "http://127.0.0.1:1");
        assertThat(token.code()).isEqualTo(2);
        assertThat(token.err()).contains("no admin token").contains("--token");

        Result url = run("reload", "--url", "ftp://example", "--token", "t".repeat(43));
        assertThat(url.code()).isEqualTo(2);
        assertThat(url.err()).contains("--url 'ftp://example' is not an http(s) URL");

        Result quote = run("backend", "--router-command", "python3 'unclosed", "--log-dir", logs.toString());
        assertThat(quote.code()).isEqualTo(2);
        assertThat(quote.err()).contains("--router-command").contains("unclosed ' quote");

        Result path = run("backend", "--router-url", "http://127.0.0.1:1/route", "--log-dir", logs.toString());
        assertThat(path.code()).isEqualTo(2);
        assertThat(path.err()).contains("--router-url must be an http(s) base URL without a path")
                .contains("http://127.0.0.1:1/route");

        Result history = run("backend", "--router-max-history", "-1", "--log-dir", logs.toString());
        assertThat(history.code()).isEqualTo(2);
        assertThat(history.err()).contains("--router-max-history must be 0-100000").contains("was -1");

        Result huge = run("backend", "--max-body-bytes", "999999999", "--log-dir", logs.toString());
        assertThat(huge.code()).isEqualTo(2);
        assertThat(huge.err()).contains("--max-body-bytes must be 1024-67108864, was 999999999");

        Result small = run("backend", "--max-body-bytes", "2000", "--log-dir", logs.toString());
        assertThat(small.code()).isEqualTo(2);
        assertThat(small.err()).contains("--max-body-bytes (2000) cannot hold a message of --max-message-chars (8000)")
                .contains("raise --max-body-bytes to at least 33024, or lower --max-message-chars");

        Result routerPort = run("backend", "--router-url", "http://127.0.0.1:1", "--router-port", "-5",
                "--log-dir", logs.toString());
        assertThat(routerPort.code()).isEqualTo(2);
        assertThat(routerPort.err()).contains("--router-port must be 0-65535").contains("-5");

        Result secret = run("backend", "--router-url", "http://user:s3cret@127.0.0.1:1", "--router-command", "x",
                "--log-dir", logs.toString());
        assertThat(secret.code()).isEqualTo(2);
        assertThat(secret.err()).doesNotContain("s3cret");

        Result limit = run("backend", "--history-limit", "0", "--log-dir", logs.toString());
        assertThat(limit.code()).isEqualTo(2);
        assertThat(limit.err()).contains("--history-limit must be between 1 and 100000, got 0");

        for (String bad : new String[] {"0", "65"}) {
            Result routers = run("backend", "--routers", bad, "--log-dir", logs.toString());
            assertThat(routers.code()).isEqualTo(2);
            assertThat(routers.err()).contains("--routers must be 1-64, was " + bad);
        }
        Result word = run("backend", "--routers", "abc", "--log-dir", logs.toString());
        assertThat(word.code()).isEqualTo(2);
        assertThat(word.err()).contains("--routers").contains("abc");
        Result fixed = run("backend", "--routers", "2", "--router-port", "9000", "--log-dir", logs.toString());
        assertThat(fixed.code()).isEqualTo(2);
        assertThat(fixed.err()).contains("--router-port (9000) fixes the port of a single router; --routers (2) need"
                + " free ports");

        for (String bad : new String[] {"web 1", "", "x".repeat(65)}) {
            Result id = run("backend", "--instance-id", bad, "--log-dir", logs.toString());
            assertThat(id.code()).as("'%s'", bad).isEqualTo(2);
            assertThat(id.err()).contains("--instance-id must be 1-64 characters of [A-Za-z0-9._-]")
                    .contains("was '" + bad + "'");
        }

        Result unknown = run("deploy");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("deploy");
    }

    @Test
    void statusReportsUnreachableWithExitCode3() {
        int port = dev.airouter.testing.FreePorts.next();
        Result r = run("status", "--url", "http://127.0.0.1:" + port, "--log-dir", logs.toString());
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.err()).contains("not reachable").contains(Integer.toString(port));
    }

    @Test
    void statusSummarisesHealthyAndDegraded() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        String[] answer = {"{\"status\":\"ok\",\"router\":{\"state\":\"RUNNING\",\"healthy\":true,\"pid\":42,"
                + "\"owned\":true,\"restarts\":1,\"url\":\"http://127.0.0.1:8888\"},\"store\":{\"backend\":\"memory\","
                + "\"sessions\":3},\"uptimeS\":5}"};
        int[] code = {200};
        server.createContext("/health", ex -> {
            byte[] body = answer[0].getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(code[0], body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            Result ok = run("status", "--url", url);
            assertThat(ok.code()).isZero();
            assertThat(ok.out()).contains("ok (HTTP 200)", "RUNNING", "pid 42", "owned", "restarts 1", "memory", "sessions 3");
            answer[0] = answer[0].replace("\"url\":\"http://127.0.0.1:8888\"}", "\"url\":\"http://127.0.0.1:8888\","
                    + "\"replicas\":[{\"index\":0,\"generation\":1,\"url\":\"http://127.0.0.1:8888\",\"pid\":42,"
                    + "\"state\":\"RUNNING\",\"ready\":true,\"inFlight\":2,\"restarts\":1},{\"index\":1,\"generation\":1,"
                    + "\"url\":\"http://127.0.0.1:8889\",\"pid\":43,\"state\":\"RESTARTING\",\"ready\":false,"
                    + "\"inFlight\":0,\"restarts\":0}]}");
            Result table = run("status", "--url", url);
            assertThat(table.out()).contains("2 replicas").contains("http://127.0.0.1:8889").contains("RESTARTING*");
            Result json = run("status", "--url", url, "--json");
            assertThat(json.out().trim()).isEqualTo(answer[0]);
            code[0] = 503;
            answer[0] = answer[0].replace("\"ok\"", "\"degraded\"").replace("RUNNING", "RESTARTING");
            Result degraded = run("status", "--url", url);
            assertThat(degraded.code()).isEqualTo(1);
            assertThat(degraded.out()).contains("degraded", "RESTARTING");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void configMessagesNameTheOptionWhereTheyNameAField() {
        assertThat(BackendOptions.translate("port must be 0-65535 (0 = any free port), was 70000"))
                .isEqualTo("--backend-port must be 0-65535 (0 = any free port), was 70000");
        assertThat(BackendOptions.translate("ttl (1 ms) must be longer than commandTimeout (500 ms)"))
                .isEqualTo("--session-ttl (1 ms) must be longer than commandTimeout (500 ms)");
        assertThat(BackendOptions.translate("maxBodyBytes (2000) cannot hold …; raise maxBodyBytes or lower it"))
                .isEqualTo("--max-body-bytes (2000) cannot hold …; raise --max-body-bytes or lower it");
        assertThat(BackendOptions.translate("cannot listen on host: port busy")).isEqualTo("cannot listen on host: port busy");
        assertThat(BackendOptions.translate("routerUrl must be …; was 'http://h/maxBodyBytes'"))
                .isEqualTo("--router-url must be …; was 'http://h/maxBodyBytes'");
    }

    @Test
    void durationsAcceptShortAndIsoForms() {
        Durations d = new Durations();
        assertThat(d.convert("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(d.convert("30m")).isEqualTo(Duration.ofMinutes(30));
        assertThat(d.convert("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(d.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(d.convert("PT30M")).isEqualTo(Duration.ofMinutes(30));
        assertThatThrownBy(() -> d.convert("0s")).hasMessageContaining("positive");
    }

    @Test
    void commandLinesSplitLikeAShell() {
        assertThat(CommandLines.split("python3 -m ai_router --name 'two words' \"a \\\"b\\\"\" c\\ d"))
                .containsExactly("python3", "-m", "ai_router", "--name", "two words", "a \"b\"", "c d");
        assertThat(CommandLines.split("  x  ")).isEqualTo(List.of("x"));
        assertThatThrownBy(() -> CommandLines.split("a \"b")).hasMessageContaining("unclosed");
        assertThatThrownBy(() -> CommandLines.split("   ")).hasMessageContaining("empty");
    }
}
