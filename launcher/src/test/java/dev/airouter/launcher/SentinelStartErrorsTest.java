package dev.airouter.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.testing.FreePorts;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RedisSentinelTopology;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Sentinel URL (or replica acknowledgements) that cannot work is a start error — never a fallback to
 * memory — naming what is wrong, with the launcher's exit codes (2: a URL that cannot be parsed, 1:
 * Redis that cannot be reached), and nothing left started: no router, no run file, no password in the
 * output. Real sentinels (1 master, 1 replica, 3 sentinels, a password on the data nodes).
 */
@ExtendWith(NoLeftoverProcesses.class)
class SentinelStartErrorsTest {
    private static final String PASSWORD = "launcher-secret";
    private static RedisSentinelTopology redis;
    @TempDir Path logs;

    @BeforeAll
    static void startTopology() {
        redis = RedisSentinelTopology.builder().password(PASSWORD).start();
    }

    @AfterAll
    static void stopTopology() {
        if (redis != null) {
            redis.close();
        }
    }

    private LauncherCliTest.Result backend(String url, String... more) {
        String[] args = new String[] {"backend", "--redis-url", url, "--backend-port", "0", "--router-port", "0",
            "--log-dir", logs.toString()};
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return LauncherCliTest.runCapturingConsole(all);
    }

    private void assertNothingStarted(LauncherCliTest.Result r) {
        assertThat(r.err() + r.out()).doesNotContain(PASSWORD).doesNotContain("in-memory session store")
                .doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(Files.exists(logs.resolve("airouter.run"))).as("run file").isFalse();
    }

    @Test
    void noReachableSentinelIsExit1NamingEachSentinel() {
        int a = FreePorts.next();
        int b = FreePorts.next();
        LauncherCliTest.Result r = backend("redis-sentinel://127.0.0.1:" + a + ",127.0.0.1:" + b + "/0#mymaster");
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("no sentinel reachable", "127.0.0.1:" + a + " unreachable (Connection refused",
                "127.0.0.1:" + b + " unreachable");
        assertNothingStarted(r);
    }

    @Test
    void anUnknownMasterNameIsExit1() {
        String url = redis.url().replace("#" + redis.masterName(), "#othermaster");
        LauncherCliTest.Result r = backend(url);
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("no sentinel knows master 'othermaster'");
        assertNothingStarted(r);
    }

    @Test
    void aWrongPasswordIsExit1WithoutThePassword() {
        LauncherCliTest.Result r = backend(redis.url().replace(PASSWORD + "@", "not-the-password@"));
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("WRONGPASS").doesNotContain("not-the-password");
        assertNothingStarted(r);
    }

    @Test
    void aMalformedSentinelUrlIsAUsageErrorShowingTheExpectedForm() {
        LauncherCliTest.Result r = backend("redis-sentinel://127.0.0.1:26379/0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--redis-url", "redis-sentinel://[password@]host1:26379,host2:26379/0#mastername");
        assertNothingStarted(r);
    }

    @Test
    void replicaAcksWithAnUnreachableStandaloneRedisIsExit1NotMemory() {
        LauncherCliTest.Result r = backend("redis://127.0.0.1:" + FreePorts.next(), "--redis-replica-acks", "1");
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("Connection refused");
        assertNothingStarted(r);
        LauncherCliTest.Result none = backend("none", "--redis-replica-acks", "1");
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains("--redis-replica-acks (1) needs Redis, but --redis-url is none");
    }
}
