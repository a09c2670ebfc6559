package com.example.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airouter.lifecycle.HealthCheck;
import dev.airouter.lifecycle.ManagedProcess;
import dev.airouter.lifecycle.ProcessConfig;
import dev.airouter.lifecycle.ProcessState;
import dev.airouter.lifecycle.ProcessStatus;
import dev.airouter.lifecycle.RestartPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * README "Use it from your build": router-lifecycle supervising a real {@code python3 -m http.server}:
 * spawned and ready, adopted by a second supervisor, stopped with its whole tree, nothing left.
 */
class LifecycleExampleTest {

    @Test
    void spawnsAdoptsAndStopsARealServer() throws Exception {
        int port = Ports.free();
        Path logs = Files.createTempDirectory("consumer-lifecycle-");
        // --- README snippet ---
        ProcessConfig config = ProcessConfig.builder("static-files")
                .command("python3", "-m", "http.server", Integer.toString(port), "--bind", "127.0.0.1")
                .healthCheck(HealthCheck.http("http://127.0.0.1:" + port + "/"))
                .restartPolicy(RestartPolicy.onFailure())
                .logFile(logs.resolve("static-files.log"))
                .build();
        long pid;
        try (ManagedProcess server = ManagedProcess.create(config)) {
            ProcessStatus status = server.ensureRunning();            // spawned, and answering on its port
            assertEquals(ProcessState.RUNNING, status.state());
            assertTrue(status.owned());
            pid = status.pid().orElseThrow();

            try (ManagedProcess second = ManagedProcess.create(config)) {
                ProcessStatus adopted = second.ensureRunning();        // healthy on the port: adopted, not spawned
                assertEquals(ProcessState.ADOPTED, adopted.state());
                assertFalse(adopted.owned());
            }                                                          // an adopted process is left running
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "closing the adopter stopped it");
        }                                                              // close(): the owner stops the whole tree
        // --- end of snippet ---
        long gone = pid;
        Ports.await("python3 -m http.server (pid " + gone + ") gone", Duration.ofSeconds(10),
                () -> !alive(gone));
    }

    /** Alive and not a zombie (a zombie waiting for its parent to reap it is gone for our purposes). */
    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
