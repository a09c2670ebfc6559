package dev.airouter.backend;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import okhttp3.Call;
import okhttp3.Response;
import okio.BufferedSource;

/**
 * One streamed {@code POST /route} call: the router's Server-Sent Events ({@code meta}, {@code delta}s,
 * then {@code done} or {@code error}), read one at a time on the thread that calls {@link #next()}.
 * {@link #cancel()} may be called from any thread: it closes the connection, so a read blocked on a
 * silent router returns at once, and the router sees the client gone (and stops its model).
 *
 * <p>A router that answers a streamed call with one JSON body (one that predates streaming) is
 * read as the same events: {@code meta}, one {@code delta} with the whole content, {@code done}.
 */
final class RouterStream implements AutoCloseable {
    /** One event: its name ({@code message} when the router named none) and its data, parsed. */
    record Event(String name, JsonNode data) {}

    /** An event's data that is not JSON, or a line longer than any event can be. */
    static final class Malformed extends IOException {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message);
        }
    }

    private final Call call;
    private final Response response;
    private final BufferedSource source;
    private final Json json;
    private final long maxLineBytes;
    private final Deque<Event> pending = new ArrayDeque<>();
    /** The first event, read before the stream was handed on (set once, before the hand-over). */
    Event first;

    private RouterStream(Call call, Response response, BufferedSource source, Json json, long maxLineBytes) {
        this.call = call;
        this.response = response;
        this.source = source;
        this.json = json;
        this.maxLineBytes = maxLineBytes;
    }

    /** Reads events from a {@code text/event-stream} response. */
    static RouterStream of(Call call, Response response, Json json, long maxLineBytes) {
        return new RouterStream(call, response, response.body().source(), json, maxLineBytes);
    }

    /** The events of a router that answered in one piece (the first one as {@link #first}): the call is over already. */
    static RouterStream ofEvents(List<Event> events) {
        RouterStream stream = new RouterStream(null, null, null, null, 0);
        stream.first = events.get(0);
        stream.pending.addAll(events.subList(1, events.size()));
        return stream;
    }

    /**
     * Blocks until the next event.
     *
     * @return the event, or {@code null} when the stream ended (after {@code done} or {@code error},
     *     or early: the router went away)
     * @throws java.net.SocketTimeoutException when the router sent nothing for the idle timeout
     * @throws Malformed when the router sent something that is not an event stream
     * @throws IOException when the connection broke or was {@link #cancel() cancelled}
     */
    Event next() throws IOException {
        if (!pending.isEmpty()) {
            return pending.poll();
        }
        if (source == null) {
            return null;
        }
        String name = null;
        StringBuilder data = null;
        while (true) {
            long newline = source.indexOf((byte) '\n', 0, maxLineBytes);
            if (newline < 0) {
                if (source.getBuffer().size() >= maxLineBytes) {
                    throw new Malformed("the router sent a line of more than " + maxLineBytes + " bytes");
                }
                return null; // the stream ended, mid-event or between events
            }
            String line = source.readUtf8(newline);
            source.skip(1);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isEmpty()) {
                if (data != null) {
                    return new Event(name == null ? "message" : name, parse(data));
                }
                name = null; // an event without data is not dispatched
                continue;
            }
            if (line.charAt(0) == ':') {
                continue; // a comment (heartbeat)
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(line.startsWith(" ", colon + 1) ? colon + 2 : colon + 1);
            if (field.equals("event")) {
                name = value;
            } else if (field.equals("data")) {
                data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                if (data.length() > maxLineBytes) {
                    throw new Malformed("the router sent an event of more than " + maxLineBytes + " characters");
                }
            }
        }
    }

    private JsonNode parse(CharSequence data) throws Malformed {
        try {
            return json.mapper().readTree(data.toString());
        } catch (IOException e) {
            throw new Malformed("the router sent an event whose data is not JSON: " + Text.printable(e.getMessage()));
        }
    }

    /** Ends the call at once (any thread, any number of times); a blocked {@link #next()} throws. */
    void cancel() {
        if (call != null) {
            call.cancel();
        }
    }

    /**
     * Releases the connection. After {@code done} the rest of the stream (its last chunk) is read
     * within OkHttp's 100 ms discard time and the connection is reused; after {@link #cancel()} it is
     * gone already.
     */
    @Override
    public void close() {
        if (response != null) {
            response.close();
        }
    }
}
