package dev.airouter.lifecycle;

import dev.airouter.testing.Fixtures;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A separate JVM for the kill -9 tests: starts fixture processes through the library, prints
 * {@code HARNESS READY}, then waits to be killed.
 *
 * <p>Arguments: {@code ready|starting LOG_DIR [HTTP_PORT]}. In {@code starting} mode it also starts
 * an HTTP fixture that takes a minute to listen, so the kill lands while a start waits for readiness.
 */
public final class OrphanHarness {
    private OrphanHarness() {}

    public static void main(String[] args) throws Exception {
        Path logs = Path.of(args[1]);
        ManagedProcess tree = ManagedProcess.create(ProcessConfig.builder("tree")
                .command(Fixtures.forkTree(3, "--ignore-term"))
                .readiness(ReadinessCheck.logLine("^ready$"))
                .logFile(logs.resolve("tree.log"))
                .build());
        ManagedProcess stubborn = ManagedProcess.create(ProcessConfig.builder("stubborn")
                .command(Fixtures.ignoreTerm())
                .readiness(ReadinessCheck.logLine("^ready$"))
                .logFile(logs.resolve("stubborn.log"))
                .build());
        tree.ensureRunning();
        stubborn.ensureRunning();
        if (args[0].equals("pool")) {
            ProcessConfig template = ProcessConfig.builder("pooled")
                    .command(Fixtures.httpServer(ProcessPool.PORT, 0, "pooled", "--fork", "2"))
                    .healthCheck(HealthCheck.http("http://127.0.0.1:" + ProcessPool.PORT + "/health"))
                    .logFile(logs.resolve("pooled.log"))
                    .build();
            ProcessPool pool = ProcessPool.create(PoolConfig.builder(template).replicas(3).build());
            pool.start();
        }
        if (args[0].equals("starting")) {
            int port = Integer.parseInt(args[2]);
            ManagedProcess slow = ManagedProcess.create(ProcessConfig.builder("slow")
                    .command(Fixtures.httpServer(port, 60_000, "slow", "--fork", "2"))
                    .healthCheck(HealthCheck.http("http://127.0.0.1:" + port + "/health"))
                    .startupTimeout(Duration.ofMinutes(5))
                    .logFile(logs.resolve("slow.log"))
                    .build());
            Thread starter = new Thread(() -> {
                try {
                    slow.ensureRunning();
                } catch (Exception e) {
                    System.out.println("slow start failed: " + e);
                }
            });
            starter.start();
            while (slow.status().pid().isEmpty()) {
                Thread.onSpinWait();
            }
        }
        System.out.println("HARNESS READY");
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
