package dev.airouter.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The router client's pool against a real loopback server: its cleanup thread is not woken per call
 * (the profiling finding it exists for), and idle connections are still closed on time and trimmed
 * to the idle limit.
 */
class QuietConnectionPoolTest {
    private static final Duration KEEP_ALIVE = Duration.ofMillis(300);

    private final CountDownLatch gate = new CountDownLatch(3);
    private volatile boolean gated;
    private Undertow server;
    private int port;
    private QuietConnectionPool pool;
    private OkHttpClient http;

    @BeforeEach
    void start() {
        server = Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(new HttpHandler() {
            @Override
            public void handleRequest(HttpServerExchange exchange) throws InterruptedException {
                if (gated && exchange.isInIoThread()) {
                    exchange.dispatch(this); // waits for the other calls: not on an IO thread
                    return;
                }
                if (gated) {
                    gate.countDown();
                    gate.await(10, TimeUnit.SECONDS);
                }
                exchange.getResponseSender().send("ok");
            }
        }).build();
        server.start();
        port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
    }

    @AfterEach
    void stop() {
        if (pool != null) {
            pool.close();
        }
        server.stop();
    }

    private void open(int maxIdle, Duration keepAlive) {
        pool = QuietConnectionPool.create(maxIdle, keepAlive);
        http = new OkHttpClient.Builder().connectionPool(pool.pool()).build();
    }

    private void get() throws IOException {
        String url = "http://127.0.0.1:" + port + "/";
        try (Response response = http.newCall(new Request.Builder().url(url).build()).execute()) {
            assertThat(response.body().string()).isEqualTo("ok");
        }
    }

    @Test
    void usesTheQuietPoolWithThePinnedOkHttp() {
        open(4, KEEP_ALIVE);
        assertThat(pool.isQuiet()).as("OkHttp's internal TaskRunner is usable").isTrue();
    }

    @Test
    void cleanupThreadIsNotWokenPerCall() throws IOException {
        open(4, Duration.ofSeconds(10)); // the router client's keep-alive: the wait is MAX_SLEEP
        long started = System.nanoTime();
        for (int i = 0; i < 200; i++) {
            get();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        // OkHttp's own pool wakes its cleanup thread after each of the 200 calls; this one once per
        // MAX_SLEEP at most (plus the start and a spare)
        assertThat(pool.wakeUps()).isLessThanOrEqualTo((long) Math.ceil(seconds / QuietConnectionPool.MAX_SLEEP.toSeconds()) + 2);
        assertThat(pool.pool().connectionCount()).isEqualTo(1);
    }

    @Test
    void idleConnectionIsClosedAfterTheKeepAlive() throws IOException {
        open(4, KEEP_ALIVE);
        get();
        assertThat(pool.pool().connectionCount()).isEqualTo(1);
        await().atMost(KEEP_ALIVE.plus(QuietConnectionPool.MAX_SLEEP).multipliedBy(3))
                .until(() -> pool.pool().connectionCount() == 0);
    }

    @Test
    void idleConnectionsOverTheLimitAreClosedWithoutASignal() throws Exception {
        open(1, KEEP_ALIVE);
        gated = true; // three calls at once: three connections
        ExecutorService callers = Executors.newFixedThreadPool(3);
        try {
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                calls.add(callers.submit(() -> {
                    get();
                    return null;
                }));
            }
            for (Future<?> call : calls) {
                call.get(10, TimeUnit.SECONDS);
            }
        } finally {
            callers.shutdownNow();
        }
        // idle over the limit of 1 are closed by the next cleanup, which nobody signals
        await().atMost(QuietConnectionPool.MAX_SLEEP.multipliedBy(3)).until(() -> pool.pool().connectionCount() <= 1);
    }

    @Test
    void closeStopsTheCleanupThread() throws IOException {
        open(4, KEEP_ALIVE);
        get();
        await().atMost(Duration.ofSeconds(3)).until(() -> poolThreads() > 0);
        pool.close();
        assertThat(pool.pool().connectionCount()).isZero();
        await().atMost(QuietConnectionPool.MAX_SLEEP.multipliedBy(3)).until(() -> poolThreads() == 0);
    }

    private static long poolThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("airouter-okhttp-pool-") && t.isAlive()).count();
    }
}
