package dev.airouter.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The claim on a log directory, in one JVM (two processes: TwoLaunchersIT): a second claim is
 * refused naming the holder, and the first stays held until it is closed.
 */
class LogDirLockTest {
    @TempDir Path dir;
    private final long pid = ProcessHandle.current().pid();

    @Test
    void aSecondClaimIsRefusedNamingTheHolderUntilTheFirstIsClosed() {
        Path logs = dir.resolve("logs");
        LogDirLock first = LogDirLock.claim(logs, "backend");
        try {
            assertThat(logs.resolve(LogDirLock.NAME)).exists();
            assertThatThrownBy(() -> LogDirLock.claim(logs, "dev")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("--log-dir " + logs.toAbsolutePath() + " is in use by another airouter")
                    .hasMessageContaining("(pid " + pid + ")")
                    .hasMessageContaining("it is still starting; its lock file is " + logs.resolve(LogDirLock.NAME)
                            .toAbsolutePath())
                    .hasMessageContaining("give this one its own --log-dir");
            assertThatThrownBy(() -> LogDirLock.claim(logs.resolve("."), "dev")).as("the same directory, spelt otherwise")
                    .hasMessageContaining("is in use");
        } finally {
            first.close();
            first.close(); // idempotent
        }
        LogDirLock.claim(logs, "dev").close();
    }

    @Test
    void onceTheHolderIsReadyTheRefusalNamesItsRunFileAndInstance() throws Exception {
        try (LogDirLock held = LogDirLock.claim(dir, "dev")) {
            Properties run = new Properties();
            run.setProperty("pid", Long.toString(pid));
            run.setProperty("mode", "dev");
            run.setProperty("instanceId", "web-1");
            RunFile.write(dir, run);
            assertThatThrownBy(() -> LogDirLock.claim(dir, "backend"))
                    .hasMessageContaining("in use by another airouter dev (pid " + pid + ", instance web-1): its run file is "
                            + dir.toAbsolutePath().resolve(RunFile.NAME));
        }
    }

    @Test
    void aLogDirThatCannotBeMadeIsAClearError() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        assertThatThrownBy(() -> LogDirLock.claim(file.resolve("logs"), "backend"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot use --log-dir " + file.resolve("logs"))
                .hasMessageContaining("pass another --log-dir");
    }
}
