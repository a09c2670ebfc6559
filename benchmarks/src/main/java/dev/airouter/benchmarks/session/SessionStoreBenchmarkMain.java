package dev.airouter.benchmarks.session;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import dev.airouter.benchmarks.Stats;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link SessionStoreBenchmark} at 1 and 8 threads and prints ops/s per backend plus the ratio of
 * the Redis store to raw Lettuce (target: at least 80 %).
 *
 * <p>On a small shared machine the background load drifts by more than the difference being measured,
 * so the Redis store and the raw baseline are measured in pairs, back to back, for several rounds; the
 * ratio is taken per pair and the median over rounds is reported.
 *
 * <pre>
 * mvn -B -pl benchmarks -am package -Dmaven.test.skip=true
 * mvn -B -q -pl benchmarks dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
 * java -cp benchmarks/target/classes:$(cat benchmarks/target/classpath.txt) \
 *     dev.airouter.benchmarks.session.SessionStoreBenchmarkMain [rounds] [warmupIterations] [seconds]
 * </pre>
 *
 * Defaults: 3 rounds; each measurement is one fork with 5 warm-up and 3 measured iterations of 3 s.
 * The plain JMH runner works too: {@code java -cp … org.openjdk.jmh.Main SessionStoreBenchmark -t 8}.
 */
public final class SessionStoreBenchmarkMain {
    private SessionStoreBenchmarkMain() {}

    /**
     * Runs the benchmark and prints the summary.
     *
     * @param args optional: rounds, warm-up iterations, seconds per iteration
     * @throws RunnerException if JMH fails
     */
    public static void main(String[] args) throws RunnerException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int warmups = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        List<String> lines = new ArrayList<>();
        List<String> table = new ArrayList<>();
        for (int threads : new int[] {1, 8}) {
            double memory = measure("memory", threads, warmups, seconds).getScore();
            lines.add(String.format(Locale.ROOT, "%d thread(s)  memory store %,12.0f ops/s", threads, memory));
            List<Double> ratios = new ArrayList<>();
            List<Double> raws = new ArrayList<>();
            List<Double> stores = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                Result<?> raw = measure("raw", threads, warmups, seconds);
                Result<?> redis = measure("redis", threads, warmups, seconds);
                double ratio = redis.getScore() / raw.getScore();
                ratios.add(ratio);
                raws.add(raw.getScore());
                stores.add(redis.getScore());
                lines.add(String.format(Locale.ROOT,
                        "%d thread(s)  round %d: raw Lettuce %,8.0f ± %,6.0f ops/s, redis store %,8.0f ± %,6.0f ops/s,"
                                + " store/raw %5.1f %%",
                        threads, round, raw.getScore(), raw.getScoreError(), redis.getScore(), redis.getScoreError(),
                        100 * ratio));
            }
            Stats r = Stats.of(ratios);
            lines.add(String.format(Locale.ROOT, "%d thread(s)  median store/raw over %d rounds: %.1f %%", threads,
                    rounds, 100 * r.median()));
            table.add(String.format(Locale.ROOT, "| %d | %,.0f | %,.0f | %,.0f | %.1f %% (%.1f–%.1f %%) | >= 80 %% |",
                    threads, memory, Stats.of(raws).median(), Stats.of(stores).median(), 100 * r.median(),
                    100 * r.min(), 100 * r.max()));
        }
        System.out.println("append+load throughput, ops/s (SessionStoreBenchmark.appendThenLoad; Redis figures:"
                + " median of " + rounds + " rounds, each a raw/store pair measured back to back)");
        System.out.println();
        System.out.println("| threads | memory store | raw Lettuce (baseline) | Redis store | Redis store / raw: median (min–max) | target |");
        System.out.println("|---|---|---|---|---|---|");
        table.forEach(System.out::println);
        System.out.println();
        System.out.println("```");
        lines.forEach(System.out::println);
        System.out.println("```");
    }

    private static Result<?> measure(String backend, int threads, int warmups, int seconds) throws RunnerException {
        Options options = new OptionsBuilder()
                .include(SessionStoreBenchmark.class.getName() + ".appendThenLoad")
                .param("backend", backend)
                .threads(threads)
                .forks(1)
                .warmupIterations(warmups)
                .warmupTime(TimeValue.seconds(seconds))
                .measurementIterations(3)
                .measurementTime(TimeValue.seconds(seconds))
                .verbosity(org.openjdk.jmh.runner.options.VerboseMode.SILENT) // the summary below says it all
                .build();
        return new Runner(options).runSingle().getPrimaryResult();
    }
}
