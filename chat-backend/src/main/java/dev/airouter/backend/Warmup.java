package dev.airouter.backend;

import dev.airouter.session.ChatMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.XnioWorker;

/**
 * Runs, once and while the router starts, the code that would otherwise run cold in the moments
 * that count: between the router's readiness and the backend's bind, and in the first request.
 * On a cold JVM each of these paths costs 10–40 ms the first time, almost all of it class loading
 * and linking, which a warm-up moves out of the way:
 * <ul>
 *   <li>the JSON of a chat turn (parsing, validation, history fitting, serialising);
 *   <li>reading a router's health answer: {@link RouterInfo} is a record, and the first
 *       {@code equals} of a record, like the first run of a string concatenation, spins method
 *       handles (~35 ms and ~15 ms measured);
 *   <li>OkHttp's response path (the readiness probe's first answer, the first {@code /route}),
 *       exercised against a one-shot server on a loopback port the kernel picks, closed at once;
 *   <li>XNIO's server channel: a throwaway channel on a loopback port the kernel picks, closed
 *       without ever accepting a connection.
 * </ul>
 * Every step is best effort: a failure only means that path runs cold later.
 */
final class Warmup {
    private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");

    private Warmup() {}

    static void run(Json json) {
        ChatRequest request = ChatRequest.parse(json.parseObject(
                "{\"message\":\"warm-up\",\"sessionId\":\"warm-up\",\"useHistory\":true}".getBytes(StandardCharsets.UTF_8)),
                100);
        ChatMessage message = ChatMessage.user(request.message()).withMetadata(Map.of("agent", "warm-up"));
        RouteBudget.fit(List.of(message), RouterLimits.ofDefaults(), request.message(), "warm-up", null);
        json.bytes(Map.of("success", true, "message", message.content(), "metadata", message.metadata()));
        json.bytes(Responses.errorReply(ApiError.badRequest("warm-up", "warm-up")).body());
        RouterInfo.Tracker tracker = new RouterInfo.Tracker("warm-up", RouterLimits.ofDefaults(), json.mapper());
        RouterInfo parsed = RouterInfo.parse("{\"limits\":{\"max_history_messages\":500,\"max_query_chars\":10000,"
                + "\"max_body_bytes\":1048576},\"agent_names\":[\"warm-up\"]}", RouterLimits.ofDefaults(), json.mapper(),
                warning -> { });
        // the calls are the point: a record's first equals, and the first run of each string
        // concatenation, spin method handles (tens of ms on a cold JVM)
        parsed.equals(tracker.current());
        parsed.hashCode();
        parsed.describe();
    }

    /** One POST through OkHttp to a one-shot loopback server, so the response path is loaded. */
    static void http() {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            server.setSoTimeout(2000);
            Thread answer = new Thread(() -> answerOnce(server), "airouter-backend-warmup-http");
            answer.setDaemon(true);
            answer.start();
            OkHttpClient client = new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(2))
                    .retryOnConnectionFailure(false).build();
            Request request = new Request.Builder().url("http://127.0.0.1:" + server.getLocalPort() + "/route")
                    .post(RequestBody.create("{}".getBytes(StandardCharsets.UTF_8), JSON)).build();
            try (Response response = client.newCall(request).execute()) {
                response.body().bytes();
            } finally {
                client.connectionPool().evictAll();
                client.dispatcher().executorService().shutdown();
            }
        } catch (IOException | RuntimeException e) {
            // best effort: the first real call runs cold instead
        }
    }

    private static void answerOnce(ServerSocket server) {
        try (Socket socket = server.accept()) {
            socket.setSoTimeout(2000);
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            while (matched < 4) { // up to the blank line; the two-byte body is left unread
                int b = in.read();
                if (b < 0) {
                    return;
                }
                head.write(b);
                matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            OutputStream out = socket.getOutputStream();
            out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            // the client gave up: nothing to warm
        }
    }

    /** Opens and closes a server channel on the worker, never accepting, so that the real bind runs warm. */
    static void bind(XnioWorker worker) {
        try {
            IoUtils.safeClose(worker.createStreamConnectionServer(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), channel -> { }, OptionMap.EMPTY));
        } catch (IOException | RuntimeException e) {
            // best effort: the real bind runs cold instead
        }
    }
}
