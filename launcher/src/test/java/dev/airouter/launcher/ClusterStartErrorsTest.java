package dev.airouter.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.testing.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code redis-cluster://} URL that cannot work: a database other than 0 is a usage error (exit 2);
 * seeds nobody answers on are a start error (exit 1) naming them — never memory, no run file, no
 * password printed.
 */
class ClusterStartErrorsTest {
    @TempDir Path logs;

    private LauncherCliTest.Result backend(String url) {
        return LauncherCliTest.runCapturingConsole("backend", "--redis-url", url, "--backend-port", "0",
                "--router-port", "0", "--log-dir", logs.toString());
    }

    @Test
    void aDatabaseOtherThanZeroIsAUsageError() {
        LauncherCliTest.Result r = backend("redis-cluster://127.0.0.1:7000,127.0.0.1:7001/2");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--redis-url", "names database 2: a Redis Cluster has database 0 only");
    }

    @Test
    void seedsNobodyAnswersOnAreAStartErrorNotMemory() {
        int a = FreePorts.next();
        LauncherCliTest.Result r = backend("redis-cluster://cluster-secret@127.0.0.1:" + a + ",127.0.0.1:" + FreePorts.next());
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("no seed node answered", "Connection refused").doesNotContain("cluster-secret")
                .doesNotContain("in-memory session store");
        assertThat(Files.exists(logs.resolve("airouter.run"))).isFalse();
    }
}
