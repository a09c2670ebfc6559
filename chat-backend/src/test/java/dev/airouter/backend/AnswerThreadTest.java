package dev.airouter.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xnio.XnioWorker;

/**
 * Regression test for a profiling finding: an answer computed on a worker thread must be written,
 * and its exchange completed, on the connection's IO thread. Completed on the worker, Undertow hands
 * the connection back to the IO thread through a spin on the connection's state, and under load on
 * 2 cores the IO thread burned most of its CPU in that spin while the worker was descheduled.
 */
class AnswerThreadTest {
    private final Queue<String> completions = new ConcurrentLinkedQueue<>();
    private ExecutorService workers;
    private XnioWorker io;
    private ApiServer server;
    private HttpClient http;

    @BeforeEach
    void start() {
        Json json = new Json();
        Responses responses = new Responses(json);
        RouteTable routes = RouteTable.builder()
                .post("/api/echo", call -> Reply.ok(Map.of("echo", call.body().path("text").asText())))
                .post("/api/refuse", call -> {
                    throw ApiError.badRequest("refused", "this endpoint always refuses");
                })
                .monitor("/health", call -> Reply.ok(Map.of("status", "ok")))
                .build();
        workers = Executors.newCachedThreadPool();
        RequestHandler handler = new RequestHandler(routes, new Cors(List.of()), new BodyReader(1024, responses),
                responses, json, workers, 8, new Streams(), Metrics.NONE);
        io = ApiServer.createWorker();
        server = new ApiServer(io, 1024, responses);
        server.handler(exchange -> {
            exchange.addExchangeCompleteListener((ex, next) -> {
                completions.add(ex.getRequestPath() + " " + ex.getStatusCode() + " "
                        + (ex.isInIoThread() ? "io" : Thread.currentThread().getName()));
                next.proceed();
            });
            handler.handleRequest(exchange);
        });
        server.bind("127.0.0.1", 0);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void stop() {
        server.stop(Duration.ofSeconds(2));
        workers.shutdownNow();
    }

    @Test
    void answersFromWorkerThreadsCompleteOnTheIoThread() throws Exception {
        for (int i = 0; i < 20; i++) { // one keep-alive connection: every answer re-arms it for the next request
            assertThat(send("POST", "/api/echo", "{\"text\":\"hi " + i + "\"}").body()).isEqualTo("{\"echo\":\"hi " + i + "\"}");
            assertThat(send("POST", "/api/refuse", "{}").statusCode()).isEqualTo(400);
            assertThat(send("GET", "/health", null).statusCode()).isEqualTo(200);
        }
        // completion listeners may still run after the client has its answer
        await().atMost(Duration.ofSeconds(10)).until(() -> completions.size() >= 60);
        assertThat(completions).hasSize(60).allSatisfy(line -> assertThat(line).endsWith(" io"));
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(10));
        if (body != null) {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
