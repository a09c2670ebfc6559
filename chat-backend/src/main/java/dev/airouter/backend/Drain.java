package dev.airouter.backend;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Counts exchanges in progress and, once {@link #begin()} was called, answers new ones with a JSON
 * 503 ({@code Connection: close}) while {@link #await} waits for the others to finish.
 *
 * <p>Why not Undertow's own tools: {@code ListenerInfo.suspend()} closes every open connection,
 * in-flight requests included, and {@code GracefulShutdownHandler} answers with an empty 503.
 */
final class Drain implements HttpHandler {
    private final HttpHandler next;
    private final Responses responses;
    private final Object lock = new Object();
    private volatile boolean draining;
    private long active; // guarded by lock

    Drain(HttpHandler next, Responses responses) {
        this.next = next;
        this.responses = responses;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        synchronized (lock) {
            active++;
        }
        exchange.addExchangeCompleteListener((ex, nextListener) -> {
            synchronized (lock) {
                if (--active == 0) {
                    lock.notifyAll();
                }
            }
            nextListener.proceed();
        });
        if (draining) {
            exchange.setPersistent(false);
            responses.error(exchange, ApiError.unavailable("server stopping", "the backend is shutting down"));
            return;
        }
        next.handleRequest(exchange);
    }

    void begin() {
        draining = true;
    }

    /** @return whether every exchange finished within {@code timeout} */
    boolean await(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (active > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return true;
        }
    }
}
