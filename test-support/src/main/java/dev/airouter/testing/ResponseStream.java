package dev.airouter.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A response whose body is read as it arrives: chunk by chunk ({@link #nextChunk}) or server-sent
 * event by event ({@link #nextEvent}), each call bounded by its own deadline, so a test can assert
 * what a streaming endpoint has sent so far and that nothing more comes within a time. Use one of the
 * two per stream. From {@link HttpConnection#stream}; not thread-safe.
 *
 * <p>Once the body has been read to its end the connection can carry the next request. Closing the
 * stream before that closes the connection, since the unread rest would be taken for the next answer.
 */
public final class ResponseStream implements AutoCloseable {
    private final HttpConnection connection;
    private final ResponseReader reader;
    private final int status;
    private final Map<String, String> headers;
    private long remaining; // body bytes left when framed by Content-Length; -1 otherwise
    private boolean finished;
    private byte[] pending = new byte[0]; // body bytes received but not yet consumed by nextEvent
    private int pendingPosition;

    ResponseStream(HttpConnection connection, ResponseReader reader, int status, Map<String, String> headers,
            boolean head) throws IOException {
        this.connection = connection;
        this.reader = reader;
        this.status = status;
        this.headers = Collections.unmodifiableMap(headers);
        boolean empty = head || status == 204 || status == 304;
        this.remaining = empty ? 0 : reader.isChunked() ? -1 : reader.contentLength();
        if (remaining == 0) {
            reader.body(head, status, null); // nothing to read; settles whether the connection stays open
            end();
        }
    }

    /** @return the status code */
    public int status() {
        return status;
    }

    /** @return the header fields, names lower-cased, repeated ones joined with {@code ", "} */
    public Map<String, String> headers() {
        return headers;
    }

    /**
     * @param name a header name, any case
     * @return its value, or {@code null} when absent (so assertions on it read directly)
     */
    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** @return whether the whole body has been read */
    public boolean isFinished() {
        return finished;
    }

    /**
     * Waits for the next piece of the body: the next chunk of a chunked body, else the bytes that
     * the next read from the socket brings.
     *
     * @param within how long to wait at most
     * @return the bytes, or empty once the body has ended
     * @throws SocketTimeoutException if nothing arrives within {@code within}; when the server had sent
     *     nothing more (what a test expecting silence checks), the stream can be read on
     * @throws IOException if the connection fails or the framing is broken
     */
    public Optional<byte[]> nextChunk(Duration within) throws IOException {
        return nextChunk(System.nanoTime() + within.toNanos(), within, "body bytes");
    }

    private Optional<byte[]> nextChunk(long deadlineNanos, Duration within, String what) throws IOException {
        if (finished) {
            return Optional.empty();
        }
        reader.deadline(deadlineNanos);
        try {
            return Optional.ofNullable(chunk());
        } catch (SocketTimeoutException e) {
            SocketTimeoutException timeout = new SocketTimeoutException("no " + what + " within " + within.toMillis() + " ms");
            timeout.initCause(e);
            throw timeout;
        } catch (IOException e) {
            connection.close();
            throw e;
        } finally {
            if (connection.isOpen()) {
                reader.clearDeadline();
            }
        }
    }

    /**
     * Waits for the next server-sent event ({@code text/event-stream}): fields up to a blank line,
     * {@code data} lines joined with {@code \n}, comments and {@code retry} ignored, an event
     * without data skipped, as browsers do.
     *
     * @param within how long to wait at most
     * @return the event, or empty once the body has ended (an unterminated last event is dropped)
     * @throws SocketTimeoutException if no complete event arrives within {@code within}; an event
     *     half received is lost, so close the stream after a timeout unless nothing was expected
     * @throws IOException if the connection fails or the framing is broken
     */
    public Optional<ServerSentEvent> nextEvent(Duration within) throws IOException {
        long deadline = System.nanoTime() + within.toNanos(); // for the whole event, however it is chunked
        String event = "message";
        String id = "";
        StringBuilder data = null;
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (true) {
            int b = nextByte(deadline, within);
            if (b < 0) {
                return Optional.empty();
            }
            if (b != '\n') {
                line.write(b);
                continue;
            }
            String text = line.toString(StandardCharsets.UTF_8);
            line.reset();
            if (text.endsWith("\r")) {
                text = text.substring(0, text.length() - 1);
            }
            if (text.isEmpty()) {
                if (data != null) {
                    return Optional.of(new ServerSentEvent(event, data.toString(), id));
                }
                event = "message";
                continue;
            }
            int colon = text.indexOf(':');
            String field = colon < 0 ? text : text.substring(0, colon);
            String value = colon < 0 ? "" : text.substring(colon + (text.startsWith(" ", colon + 1) ? 2 : 1));
            switch (field) {
                case "event" -> event = value;
                case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                case "id" -> id = value;
                default -> { } // a comment (empty field name), retry, or an unknown field
            }
        }
    }

    /** Closes the connection unless the body was read to its end, which leaves it ready for reuse. */
    @Override
    public void close() {
        if (!finished) {
            connection.close();
            finished = true;
        }
    }

    /**
     * One server-sent event.
     *
     * @param event the {@code event} field, {@code message} when absent
     * @param data the {@code data} lines joined with {@code \n}
     * @param id this event's own {@code id} field, empty when it has none (browsers instead carry the
     *     last id forward; a test wants to see what each event said)
     */
    public record ServerSentEvent(String event, String data, String id) {}

    private int nextByte(long deadlineNanos, Duration within) throws IOException {
        while (pendingPosition == pending.length) {
            Optional<byte[]> more = nextChunk(deadlineNanos, within, "complete event");
            if (more.isEmpty()) {
                return -1;
            }
            pending = more.get();
            pendingPosition = 0;
        }
        return pending[pendingPosition++] & 0xff;
    }

    /** @return the next piece of the body, or {@code null} at its end */
    private byte[] chunk() throws IOException {
        if (remaining < 0 && reader.isChunked()) {
            long size = reader.chunkSize();
            if (size == 0) {
                while (reader.readLine() > 0) {
                    // trailer fields, not kept
                }
                return end();
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) Math.min(size, 1 << 20));
            reader.transfer(size, bytes);
            reader.readLine(); // the CRLF after the chunk's data
            return bytes.toByteArray();
        }
        byte[] some = reader.some(remaining < 0 ? Long.MAX_VALUE : remaining);
        if (some.length == 0) {
            if (remaining > 0) {
                throw new EOFException("body ended " + remaining + " bytes short of its Content-Length");
            }
            return end(); // a body delimited by the end of the connection
        }
        if (remaining > 0) {
            remaining -= some.length;
            if (remaining == 0) {
                end();
            }
        }
        return some;
    }

    /** Marks the body read; closes the connection if the response ends it. @return {@code null}, for "no more" */
    private byte[] end() {
        finished = true;
        if (reader.mustClose()) {
            connection.close();
        }
        return null;
    }
}
