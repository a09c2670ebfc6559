package dev.airouter.benchmarks.backend;

import dev.airouter.testing.HttpConnection;
import dev.airouter.testing.RawHttp;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;

/**
 * HTTP load: one thread per connection, each sending POSTs on its own kept-alive connection, back to
 * back (closed loop) or on a fixed schedule ({@link Target#intervalNanos}: open loop, a request every
 * interval whatever the answers take; one that falls behind sends at once until it is on schedule
 * again) ({@link HttpConnection#postForStatus}: one write per request,
 * {@code TCP_NODELAY}, nothing allocated per request beyond the body), until stopped. Every
 * request's start, end and status is recorded, so a run can be cut into windows afterwards (before
 * and during a crash). A failed request (a status other than 200, or an I/O error) is counted and
 * the connection reopened by the next request; nothing is re-sent.
 */
final class ChatLoad implements AutoCloseable {
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Where one connection sends its requests; {@code body} gets a number unique across the run;
     * {@code intervalNanos} between request starts, 0 for back to back.
     */
    record Target(int port, String path, LongFunction<byte[]> body, long intervalNanos) {
        Target(int port, String path, LongFunction<byte[]> body) {
            this(port, path, body, 0);
        }

        /** @return this target, paced at one request every {@code interval} */
        Target paced(Duration interval) {
            return new Target(port, path, body, interval.toNanos());
        }
    }

    /** One request as it went: {@code status} -1 for an I/O error; {@code port} the target's. */
    record Request(long startNanos, long endNanos, int status, int port) {
        double millis() {
            return (endNanos - startNanos) / 1e6;
        }

        boolean ok() {
            return status == 200;
        }
    }

    /**
     * What a run did: every request (by start time, those that ended after the stop too), the run's
     * start and stop, and the load threads' own CPU.
     */
    record Result(List<Request> requests, long startNanos, long endNanos, long clientCpuNanos) {
        /** @return requests answered 200 by the stop (the closed loop's throughput) */
        long ok() {
            return requests.stream().filter(r -> r.ok() && r.endNanos() <= endNanos).count();
        }

        /** @return every request that failed, including any that ended after the stop */
        long failed() {
            return requests.stream().filter(r -> !r.ok()).count();
        }

        double seconds() {
            return (endNanos - startNanos) / 1e9;
        }

        double perSecond() {
            return ok() / seconds();
        }
    }

    private final ExecutorService threads;
    private final List<Future<List<Request>>> connections = new ArrayList<>();
    private final AtomicLong counter = new AtomicLong();
    private final AtomicLong clientCpu = new AtomicLong();
    private final long started = System.nanoTime();
    private volatile boolean stopping;

    private ChatLoad(List<Target> targets) {
        threads = Executors.newFixedThreadPool(targets.size(), r -> {
            Thread t = new Thread(r, "bench-load");
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            // paced connections start spread over one interval, not all at the same instant
            long first = started + (target.intervalNanos() == 0 ? 0 : target.intervalNanos() * i / targets.size());
            connections.add(threads.submit(() -> drive(target, first)));
        }
    }

    /**
     * Starts the load: one connection per target.
     *
     * @param targets one per connection
     * @return the running load; {@link #stop()} ends it
     */
    static ChatLoad start(List<Target> targets) {
        return new ChatLoad(targets);
    }

    /**
     * Runs the load for a while.
     *
     * @param targets one per connection
     * @param length how long
     * @return what it did
     * @throws InterruptedException if interrupted
     */
    static Result run(List<Target> targets, Duration length) throws InterruptedException {
        try (ChatLoad load = start(targets)) {
            Thread.sleep(length.toMillis()); // the load runs meanwhile; nothing to wait for
            return load.stop();
        }
    }

    /**
     * {@code connections} connections to the same target.
     *
     * @return the targets
     */
    static List<Target> times(int connections, Target target) {
        return Collections.nCopies(connections, target);
    }

    private List<Request> drive(Target target, long first) {
        long cpu0 = CpuMeter.currentThreadNanos();
        List<Request> done = new ArrayList<>();
        long next = first;
        try (HttpConnection client = RawHttp.keepAlive("127.0.0.1", target.port(), CLIENT_TIMEOUT)) {
            while (!stopping) {
                if (target.intervalNanos() > 0) {
                    for (long wait = next - System.nanoTime(); wait > 0 && !stopping; wait = next - System.nanoTime()) {
                        LockSupport.parkNanos(wait);
                    }
                    next += target.intervalNanos();
                    if (stopping) {
                        break;
                    }
                }
                byte[] body = target.body().apply(counter.getAndIncrement());
                long start = System.nanoTime();
                int status;
                try {
                    status = client.postForStatus(target.path(), "application/json", body);
                } catch (IOException e) {
                    status = -1;
                }
                done.add(new Request(start, System.nanoTime(), status, target.port()));
            }
        }
        clientCpu.addAndGet(CpuMeter.currentThreadNanos() - cpu0);
        return done;
    }

    /**
     * Stops the load: every connection finishes the request it is in, then closes.
     *
     * @return what the run did
     * @throws InterruptedException if interrupted while the connections finish
     */
    Result stop() throws InterruptedException {
        stopping = true;
        long end = System.nanoTime();
        List<Request> all = new ArrayList<>();
        for (Future<List<Request>> c : connections) {
            try {
                all.addAll(c.get());
            } catch (ExecutionException e) {
                throw new IllegalStateException("a load connection failed", e.getCause());
            }
        }
        threads.shutdown();
        all.sort(Comparator.comparingLong(Request::startNanos));
        return new Result(List.copyOf(all), started, end, clientCpu.get());
    }

    @Override
    public void close() {
        stopping = true;
        threads.shutdownNow();
    }
}
