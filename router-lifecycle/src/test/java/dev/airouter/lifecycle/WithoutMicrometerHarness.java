package dev.airouter.lifecycle;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A separate JVM for {@link WithoutMicrometerTest}, run with no Micrometer on its class path: checks
 * that Micrometer is really absent, runs a pool of one real replica through start, replace and close,
 * and prints {@code OK}. Anything that loads a Micrometer class fails it with NoClassDefFoundError.
 *
 * <p>Argument: the log directory.
 */
public final class WithoutMicrometerHarness {
    private WithoutMicrometerHarness() {}

    public static void main(String[] args) throws Exception {
        try {
            Class.forName("io.micrometer.core.instrument.MeterRegistry");
            System.out.println("Micrometer is on the class path; this harness proves nothing");
            System.exit(1);
        } catch (ClassNotFoundException expected) {
            // the point of the exercise
        }
        ProcessConfig template = TestProcesses.pooled(Path.of(args[0]), 0).build();
        PoolConfig config = PoolConfig.builder(template).drainTimeout(Duration.ofSeconds(5)).build();
        if (config.meterRegistry().isPresent() || !config.toString().contains("meters=false")
                || config.toBuilder().build().meterRegistry().isPresent()) {
            System.out.println("unexpected configuration: " + config);
            System.exit(1);
        }
        try (ProcessPool pool = ProcessPool.create(config)) {
            pool.addListener(event -> { });
            pool.start();
            pool.replace(Drain.immediately());
            if (pool.replicas().size() != 1 || !pool.replicas().get(0).isReady() || pool.generation() != 2) {
                System.out.println("unexpected replicas: " + pool.replicas());
                System.exit(1);
            }
        }
        System.out.println("OK");
    }
}
