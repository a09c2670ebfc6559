package dev.airouter.benchmarks.lifecycle;

import dev.airouter.lifecycle.ManagedProcess;
import dev.airouter.lifecycle.ProcessConfig;
import dev.airouter.lifecycle.ReadinessCheck;
import dev.airouter.testing.Fixtures;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The JVM that the kill -9 benchmark kills: starts a 3-level tree that ignores SIGTERM and one
 * more SIGTERM-ignoring child, prints {@code HARNESS READY}, waits. Args: {@code LOG_DIR lifeline(true|false)}.
 */
public final class KillHarness {
    private KillHarness() {}

    /**
     * @param args log directory and whether to use the lifeline
     * @throws Exception never expected
     */
    public static void main(String[] args) throws Exception {
        Path logs = Path.of(args[0]);
        boolean lifeline = Boolean.parseBoolean(args[1]);
        ManagedProcess tree = ManagedProcess.create(ProcessConfig.builder("tree")
                .command(Fixtures.forkTree(3, "--ignore-term"))
                .readiness(ReadinessCheck.logLine("^ready$"))
                .logFile(logs.resolve("tree.log")).lifeline(lifeline).build());
        ManagedProcess stubborn = ManagedProcess.create(ProcessConfig.builder("stubborn")
                .command(Fixtures.ignoreTerm())
                .readiness(ReadinessCheck.logLine("^ready$"))
                .logFile(logs.resolve("stubborn.log")).lifeline(lifeline).build());
        tree.ensureRunning();
        stubborn.ensureRunning();
        System.out.println("HARNESS READY");
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
