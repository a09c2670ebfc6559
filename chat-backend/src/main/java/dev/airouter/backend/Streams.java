package dev.airouter.backend;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The streamed replies in progress: the threads that read the routers' events (one per stream,
 * made on demand; the in-flight limit bounds them), and what {@code stop()} needs: end every stream
 * with an {@code error} event, then wait until each has stored its partial reply.
 */
final class Streams {
    private final Set<ChatStream> open = ConcurrentHashMap.newKeySet();
    private final ExecutorService threads;
    private volatile boolean stopping;

    Streams() {
        AtomicInteger count = new AtomicInteger();
        this.threads = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                runnable -> {
                    Thread t = new Thread(runnable, "airouter-stream-" + count.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /** @return the streams in progress */
    int count() {
        return open.size();
    }

    /**
     * Registers a stream and starts reading its router's events.
     *
     * @return false when the backend is stopping (the stream is not started)
     */
    boolean start(ChatStream stream) {
        if (stopping) {
            return false;
        }
        open.add(stream);
        try {
            threads.execute(() -> {
                try {
                    stream.pump();
                } finally {
                    ended(stream);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            ended(stream);
            return false;
        }
        if (stopping) {
            stream.cancel(ChatStream.End.SHUTDOWN); // stop() ran between the check and the add
        }
        return true;
    }

    private void ended(ChatStream stream) {
        open.remove(stream);
        synchronized (this) {
            notifyAll();
        }
    }

    /** Ends every stream with an {@code error} event (their partial replies are stored); new ones are refused. */
    void stopping() {
        stopping = true;
        for (ChatStream s : open) {
            s.cancel(ChatStream.End.SHUTDOWN);
        }
    }

    /** Waits until every stream has finished (stored its reply), at most {@code timeout}. */
    boolean await(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (!open.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
        return true;
    }

    void close() {
        threads.shutdownNow();
    }
}
