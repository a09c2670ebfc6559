package dev.airouter.benchmarks.backend;

import dev.airouter.benchmarks.Stats;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * What one thread hand-off costs on this machine: two threads take turns, each waking the other and
 * then sleeping until woken ({@link LockSupport#park()}/{@code unpark}, no spinning), which is what a
 * worker waiting for Lettuce's event loop, or an IO thread handing a request to a worker, does. The
 * backend's CPU per request is largely a count of these (see {@link BackendLoadBenchmark}'s context
 * switches per thread group), so this puts a price on each.
 *
 * <pre>java -cp … dev.airouter.benchmarks.backend.HandOffProbe [handOffs] [rounds]</pre>
 */
public final class HandOffProbe {
    private static volatile int turn; // 0: the main thread's turn, 1: the partner's

    private HandOffProbe() {}

    /**
     * Runs the probe and prints the median CPU and wall time per hand-off.
     *
     * @param args optional: hand-offs per round (default 100,000), rounds (default 5)
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws InterruptedException {
        int handOffs = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        List<Double> cpu = new ArrayList<>();
        List<Double> wall = new ArrayList<>();
        for (int round = 0; round <= rounds; round++) { // round 0 warms up
            double[] r = measure(handOffs);
            if (round > 0) {
                cpu.add(r[0]);
                wall.add(r[1]);
            }
        }
        System.out.println();
        Stats c = Stats.of(cpu);
        System.out.printf(Locale.ROOT, "Thread hand-off (HandOffProbe: two threads waking each other with park/unpark,"
                + " %d hand-offs x %d rounds): CPU %.1f us, wall %.1f us per hand-off (median; CPU range %.1f-%.1f us)%n",
                handOffs, rounds, c.median(), Stats.of(wall).median(), c.min(), c.max());
        System.out.println();
    }

    /** @return {CPU µs, wall µs} per hand-off, over both threads */
    private static double[] measure(int handOffs) throws InterruptedException {
        Thread main = Thread.currentThread();
        int pairs = handOffs / 2;
        turn = 0;
        Thread partner = new Thread(() -> {
            for (int i = 0; i < pairs; i++) {
                while (turn != 1) {
                    LockSupport.park();
                }
                turn = 0;
                LockSupport.unpark(main);
            }
        }, "hand-off-partner");
        partner.setDaemon(true);
        partner.start();
        long cpu0 = CpuMeter.jvmNanos();
        long start = System.nanoTime();
        for (int i = 0; i < pairs; i++) {
            turn = 1;
            LockSupport.unpark(partner);
            while (turn != 0) {
                LockSupport.park();
            }
        }
        long wall = System.nanoTime() - start;
        long cpu = CpuMeter.jvmNanos() - cpu0;
        partner.join();
        return new double[] {cpu / 1e3 / (2.0 * pairs), wall / 1e3 / (2.0 * pairs)};
    }
}
