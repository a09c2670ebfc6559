package dev.airouter.benchmarks.backend;

import dev.airouter.testing.Fixtures;
import dev.airouter.testing.FreePorts;
import dev.airouter.testing.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The CPU-bound router fixture ({@link Fixtures#cpuRouter}) as its own process on a free port,
 * for driving it directly (the baselines), and the command line the backends run as their routers.
 * {@link #close()} stops it by its pid (SIGTERM, the fixture exits at once; SIGKILL after 10 s).
 */
final class FixtureRouter implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private final Process process;
    private final int port;

    private FixtureRouter(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * Starts a fixture router and waits until it accepts connections.
     *
     * @param loops the work per {@code /route}
     * @return the running router
     * @throws IOException if it does not start within 30 s
     * @throws InterruptedException if interrupted
     */
    static FixtureRouter start(long loops) throws IOException, InterruptedException {
        int port = FreePorts.next();
        ProcessBuilder pb = new ProcessBuilder(Fixtures.cpuRouter(loops)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("ROUTER_PORT", Integer.toString(port));
        FixtureRouter router = new FixtureRouter(pb.start(), port);
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!FreePorts.isAccepting(port)) {
            if (!router.process.isAlive() || System.nanoTime() > deadline) {
                router.close();
                throw new IOException("the fixture router (" + String.join(" ", Fixtures.cpuRouter(loops))
                        + ") did not listen on port " + port + " within " + START_TIMEOUT.toSeconds() + " s");
            }
            Thread.sleep(10); // polling a port: there is nothing to wait on
        }
        return router;
    }

    /**
     * The loops that take {@code cpuMillis} of CPU per {@code /route} on this machine: the largest of
     * five calibrations, each the best of several timed runs inside the fixture. The host's slow
     * moments only ever make the work look dearer (one calibration here came out at half the usual
     * loops), so the fastest estimate is the machine's own speed.
     *
     * @param cpuMillis CPU time per route
     * @return the loops, and every calibration's result
     * @throws IOException if the calibration fails
     * @throws InterruptedException if interrupted
     */
    static Calibration calibrate(double cpuMillis) throws IOException, InterruptedException {
        List<Long> loops = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Process p = new ProcessBuilder(Fixtures.cpuRouterCalibration(cpuMillis)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("calibration of the fixture router failed: " + out);
            }
            loops.add(Long.parseLong(out));
        }
        return new Calibration(loops.stream().mapToLong(Long::longValue).max().orElseThrow(), List.copyOf(loops));
    }

    /** The loops chosen, and what each calibration said. */
    record Calibration(long loops, List<Long> each) {}

    /**
     * The {@code --router-command} value that runs this fixture: the arguments single-quoted, for
     * the launcher's shell-like split.
     *
     * @param loops the work per {@code /route}
     * @return the command line as one string
     */
    static String routerCommand(long loops) {
        StringBuilder sb = new StringBuilder();
        for (String arg : Fixtures.cpuRouter(loops)) {
            if (arg.contains("'")) {
                throw new IllegalArgumentException("cannot quote an argument with a single quote: " + arg);
            }
            sb.append(sb.length() == 0 ? "" : " ").append('\'').append(arg).append('\'');
        }
        return sb.toString();
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                Processes.kill(process.pid());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Processes.kill(process.pid());
        }
    }
}
