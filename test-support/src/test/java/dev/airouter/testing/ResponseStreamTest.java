package dev.airouter.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.airouter.testing.ResponseStream.ServerSentEvent;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ResponseStreamTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration WAIT = Duration.ofSeconds(5);

    private static void chunk(Socket socket, String data) throws Exception {
        byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
        ScriptedServer.write(socket, Integer.toHexString(bytes.length) + "\r\n");
        socket.getOutputStream().write(bytes);
        ScriptedServer.write(socket, "\r\n");
    }

    @Test
    void serverSentEventsAreReadOneByOneEachWithinItsDeadline() throws Exception {
        CountDownLatch more = new CountDownLatch(1);
        try (ScriptedServer server = new ScriptedServer(socket -> {
            InputStream in = socket.getInputStream();
            ScriptedServer.readHead(in);
            ScriptedServer.write(socket, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n");
            chunk(socket, "event: delta\ndata: Hel\n\n");
            more.await(30, TimeUnit.SECONDS);
            chunk(socket, "data: lo\r\nda"); // an event split across chunks, CRLF line ends
            chunk(socket, "ta: w\u00f6rld\nid: 7\n\n: a comment\nevent: ping\n\ndata: done\n\n");
            ScriptedServer.write(socket, "0\r\n\r\n");
            String next = ScriptedServer.readHead(in); // the connection carries the next request
            if (next != null) {
                ScriptedServer.write(socket, "HTTP/1.1 204 No Content\r\n\r\n");
            }
        })) {
            try (HttpConnection c = RawHttp.keepAlive(server.url(), TIMEOUT);
                    ResponseStream stream = c.stream("GET", "/api/chat/stream", Map.of("Accept", "text/event-stream"), null)) {
                assertThat(stream.status()).isEqualTo(200);
                assertThat(stream.header("content-type")).isEqualTo("text/event-stream");
                assertThat(stream.nextEvent(WAIT)).contains(new ServerSentEvent("delta", "Hel", ""));

                assertThatThrownBy(() -> stream.nextEvent(Duration.ofMillis(150)))
                        .isInstanceOf(SocketTimeoutException.class).hasMessageContaining("150 ms");
                more.countDown();

                assertThat(stream.nextEvent(WAIT)).contains(new ServerSentEvent("message", "lo\nw\u00f6rld", "7"));
                assertThat(stream.nextEvent(WAIT)).contains(new ServerSentEvent("message", "done", ""));
                assertThat(stream.nextEvent(WAIT)).isEmpty();
                assertThat(stream.isFinished()).isTrue();
                assertThat(c.isOpen()).isTrue();
                assertThat(c.get("/next").status()).isEqualTo(204);
                assertThat(server.accepted()).isEqualTo(1);
            } finally {
                more.countDown();
            }
        }
    }

    @Test
    void chunksArriveAsTheServerSendsThem() throws Exception {
        try (ScriptedServer server = new ScriptedServer(socket -> {
            ScriptedServer.readHead(socket.getInputStream());
            ScriptedServer.write(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            chunk(socket, "first");
            chunk(socket, "second");
            ScriptedServer.write(socket, "0\r\n\r\n");
        })) {
            try (HttpConnection c = RawHttp.keepAlive(server.url(), TIMEOUT);
                    ResponseStream stream = c.stream("POST", "/", Map.of(), "{}".getBytes(StandardCharsets.UTF_8))) {
                assertThat(stream.nextChunk(WAIT).map(String::new)).contains("first");
                assertThat(stream.nextChunk(WAIT).map(String::new)).contains("second");
                assertThat(stream.nextChunk(WAIT)).isEmpty();
            }
        }
    }

    @Test
    void aBodyFramedByLengthOrByTheConnectionIsReadPieceByPiece() throws Exception {
        CountDownLatch more = new CountDownLatch(1);
        try (ScriptedServer server = new ScriptedServer(socket -> {
            ScriptedServer.readHead(socket.getInputStream());
            ScriptedServer.write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello");
            more.await(30, TimeUnit.SECONDS);
            ScriptedServer.write(socket, "world");
            ScriptedServer.readHead(socket.getInputStream());
            ScriptedServer.write(socket, "HTTP/1.1 200 OK\r\n\r\nto the end");
        })) {
            try (HttpConnection c = RawHttp.keepAlive(server.url(), TIMEOUT)) {
                try (ResponseStream stream = c.stream("GET", "/", Map.of(), null)) {
                    assertThat(stream.nextChunk(WAIT).map(String::new)).contains("hello");
                    more.countDown();
                    assertThat(stream.nextChunk(WAIT).map(String::new)).contains("world");
                    assertThat(stream.nextChunk(WAIT)).isEmpty();
                }
                try (ResponseStream stream = c.stream("GET", "/", Map.of(), null)) {
                    StringBuilder all = new StringBuilder();
                    for (Optional<byte[]> piece = stream.nextChunk(WAIT); piece.isPresent(); piece = stream.nextChunk(WAIT)) {
                        all.append(new String(piece.get(), StandardCharsets.UTF_8));
                    }
                    assertThat(all).hasToString("to the end");
                }
                assertThat(c.isOpen()).isFalse();
            } finally {
                more.countDown();
            }
        }
    }

    @Test
    void closingAStreamBeforeItsEndClosesTheConnection() throws Exception {
        try (ScriptedServer server = new ScriptedServer(socket -> {
            ScriptedServer.readHead(socket.getInputStream());
            ScriptedServer.write(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            chunk(socket, "data: one\n\n");
            socket.getInputStream().readAllBytes();
        })) {
            try (HttpConnection c = RawHttp.keepAlive(server.url(), TIMEOUT)) {
                ResponseStream stream = c.stream("GET", "/", Map.of(), null);
                assertThat(stream.nextEvent(WAIT).map(ServerSentEvent::data)).contains("one");
                stream.close();
                assertThat(c.isOpen()).isFalse();
            }
        }
    }
}
