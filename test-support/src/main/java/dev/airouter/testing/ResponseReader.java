package dev.airouter.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Parses HTTP/1.1 responses off one socket: status line, headers, and a body framed by
 * {@code Content-Length}, chunked transfer coding or the end of the connection.
 *
 * <p>Design note: the load benchmark reads every response of its keep-alive connections through this
 * class, so the status-only path ({@link #readHead(Map)} with {@code null}, then
 * {@link #body(boolean, int, ByteArrayOutputStream)} with {@code null}) allocates nothing per
 * response: it reads into one 16 KiB buffer (the size the benchmark's own client used), scans lines
 * into a reused scratch array, and recognises the three framing headers by comparing bytes. Header
 * strings and a map are built only when a caller asks for them. Not thread-safe.
 */
final class ResponseReader {
    static final int BUFFER_BYTES = 16 * 1024;
    private static final int MAX_LINE = 64 * 1024;
    private static final byte[] HTTP_1 = ascii("HTTP/1.");
    private static final byte[] CONTENT_LENGTH = ascii("content-length");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
    private static final byte[] CONNECTION = ascii("connection");
    private static final byte[] CHUNKED = ascii("chunked");
    private static final byte[] CLOSE = ascii("close");

    private final Socket socket;
    private final InputStream in;
    private final int timeoutMillis;
    private final byte[] buffer = new byte[BUFFER_BYTES];
    private int position;
    private int limit;
    private byte[] line = new byte[256];
    private int lineLength;
    private long deadlineNanos;
    private boolean deadlineSet;

    /** Framing of the response whose head was read last. */
    private long contentLength;
    private boolean chunked;
    private boolean close;

    ResponseReader(Socket socket, int timeoutMillis) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.timeoutMillis = timeoutMillis;
    }

    /** @return bytes that can be read without blocking: what is buffered plus what the socket holds */
    int available() throws IOException {
        return limit - position + in.available();
    }

    /**
     * Bounds every following read by one deadline instead of the per-read socket timeout, so a server
     * that dribbles bytes cannot stretch a wait past it; {@link #clearDeadline()} restores the timeout.
     */
    void deadline(long nanos) {
        deadlineNanos = nanos;
        deadlineSet = true;
    }

    void clearDeadline() throws IOException {
        deadlineSet = false;
        socket.setSoTimeout(timeoutMillis);
    }

    /**
     * Reads a status line and headers, skipping interim (1xx) responses.
     *
     * @param headers receives the headers, names lower-cased, repeated ones joined with {@code ", "};
     *     {@code null} to keep only the framing (the allocation-free path)
     * @return the status code
     */
    int readHead(Map<String, String> headers) throws IOException {
        int status;
        do {
            readLine();
            status = statusCode();
            contentLength = -1;
            chunked = false;
            close = false;
            if (headers != null) {
                headers.clear();
            }
            while (readLine() > 0) {
                header(headers);
            }
        } while (status >= 100 && status < 200);
        return status;
    }

    /** @return whether the last response asked to close the connection, or ends with it */
    boolean mustClose() {
        return close || (!chunked && contentLength < 0);
    }

    /**
     * Reads the body of the response whose head was just read.
     *
     * @param head whether the request was {@code HEAD} (no body follows, whatever the headers say)
     * @param status the status code
     * @param sink receives the body; {@code null} skips it
     */
    void body(boolean head, int status, ByteArrayOutputStream sink) throws IOException {
        if (head || status == 204 || status == 304) {
            contentLength = 0;
            chunked = false;
        } else if (chunked) {
            for (long size = chunkSize(); size > 0; size = chunkSize()) {
                transfer(size, sink);
                readLine(); // the CRLF after the chunk's data
            }
            while (readLine() > 0) {
                // trailer fields, not kept
            }
        } else if (contentLength >= 0) {
            transfer(contentLength, sink);
        } else {
            while (position < limit || fill()) {
                if (sink != null) {
                    sink.write(buffer, position, limit - position);
                }
                position = limit;
            }
        }
    }

    long contentLength() {
        return contentLength;
    }

    boolean isChunked() {
        return chunked;
    }

    /** Reads the size line of the next chunk (extensions ignored); 0 means the last chunk. */
    long chunkSize() throws IOException {
        int n = readLine();
        long size = 0;
        int digits = 0;
        for (int i = 0; i < n && line[i] != ';'; i++) {
            int d = Character.digit(line[i], 16);
            if (d >= 0 && digits < 15) {
                size = size * 16 + d;
                digits++;
            } else if (line[i] != ' ' && line[i] != '\t') {
                throw new IOException("invalid chunk size line: " + printable(line, n));
            }
        }
        if (digits == 0) {
            throw new IOException("invalid chunk size line: " + printable(line, n));
        }
        return size;
    }

    /**
     * Copies up to {@code max} body bytes that are buffered, or arrive with the next read.
     *
     * @return the bytes, empty at the end of the connection
     */
    byte[] some(long max) throws IOException {
        if (position == limit && !fill()) {
            return new byte[0];
        }
        int n = (int) Math.min(max, limit - position);
        byte[] copy = new byte[n];
        System.arraycopy(buffer, position, copy, 0, n);
        position += n;
        return copy;
    }

    /** Moves exactly {@code n} bytes into {@code sink} (or skips them when it is {@code null}). */
    void transfer(long n, ByteArrayOutputStream sink) throws IOException {
        long left = n;
        while (left > 0) {
            if (position == limit && !fill()) {
                throw new EOFException("body ended after " + (n - left) + " of " + n + " bytes");
            }
            int step = (int) Math.min(left, limit - position);
            if (sink != null) {
                sink.write(buffer, position, step);
            }
            position += step;
            left -= step;
        }
    }

    /** Reads one line into the scratch array without its CRLF (or LF); @return its length. */
    int readLine() throws IOException {
        lineLength = 0;
        while (true) {
            if (position == limit && !fill()) {
                throw new EOFException("connection closed by the server"
                        + (lineLength > 0 ? " mid-line: " + printable(line, lineLength) : ""));
            }
            int start = position;
            int end = start;
            while (end < limit && buffer[end] != '\n') {
                end++;
            }
            append(start, end);
            if (end < limit) {
                position = end + 1;
                if (lineLength > 0 && line[lineLength - 1] == '\r') {
                    lineLength--;
                }
                return lineLength;
            }
            position = limit;
        }
    }

    /** @return the line just read, as ISO-8859-1 text */
    String lineText() {
        return new String(line, 0, lineLength, StandardCharsets.ISO_8859_1);
    }

    private void append(int start, int end) throws IOException {
        int n = end - start;
        if (lineLength + n > MAX_LINE) {
            throw new IOException("response line over 64 KiB");
        }
        if (lineLength + n > line.length) {
            byte[] bigger = new byte[Math.min(MAX_LINE, Math.max(line.length * 2, lineLength + n))];
            System.arraycopy(line, 0, bigger, 0, lineLength);
            line = bigger;
        }
        System.arraycopy(buffer, start, line, lineLength, n);
        lineLength += n;
    }

    private boolean fill() throws IOException {
        if (deadlineSet) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException("deadline passed");
            }
            socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000)));
        }
        int n = in.read(buffer, 0, buffer.length);
        if (n < 0) {
            position = limit = 0;
            return false;
        }
        position = 0;
        limit = n;
        return true;
    }

    private int statusCode() throws IOException {
        int n = lineLength;
        if (n < HTTP_1.length + 4 || !regionMatches(0, HTTP_1) || line[HTTP_1.length + 1] != ' ') {
            throw new IOException("not an HTTP/1.x status line: " + printable(line, n));
        }
        int status = 0;
        int i = HTTP_1.length + 2;
        for (; i < n && line[i] != ' '; i++) {
            if (line[i] < '0' || line[i] > '9' || status > 99) {
                throw new IOException("not an HTTP/1.x status line: " + printable(line, n));
            }
            status = status * 10 + (line[i] - '0');
        }
        if (status < 100) {
            throw new IOException("not an HTTP/1.x status line: " + printable(line, n));
        }
        return status;
    }

    private void header(Map<String, String> headers) throws IOException {
        int colon = 0;
        while (colon < lineLength && line[colon] != ':') {
            colon++;
        }
        if (colon == 0 || colon == lineLength) {
            return; // not a header field: ignored, as lenient clients do
        }
        int nameEnd = trimEnd(0, colon);
        int valueStart = trimStart(colon + 1, lineLength);
        int valueEnd = trimEnd(valueStart, lineLength);
        if (equalsIgnoreCase(0, nameEnd, CONTENT_LENGTH)) {
            contentLength = number(valueStart, valueEnd);
        } else if (equalsIgnoreCase(0, nameEnd, TRANSFER_ENCODING)) {
            chunked = valueEnd - valueStart >= CHUNKED.length
                    && equalsIgnoreCase(valueEnd - CHUNKED.length, valueEnd, CHUNKED); // the last coding
        } else if (equalsIgnoreCase(0, nameEnd, CONNECTION)) {
            close = equalsIgnoreCase(valueStart, valueEnd, CLOSE);
        }
        if (headers != null) {
            String name = new String(line, 0, nameEnd, StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
            String value = new String(line, valueStart, valueEnd - valueStart, StandardCharsets.ISO_8859_1);
            headers.merge(name, value, (a, b) -> a + ", " + b);
        }
    }

    private long number(int start, int end) throws IOException {
        if (start == end || end - start > 18) {
            throw new IOException("invalid Content-Length: " + printable(line, lineLength));
        }
        long value = 0;
        for (int i = start; i < end; i++) {
            if (line[i] < '0' || line[i] > '9') {
                throw new IOException("invalid Content-Length: " + printable(line, lineLength));
            }
            value = value * 10 + (line[i] - '0');
        }
        return value;
    }

    private int trimStart(int start, int end) {
        while (start < end && (line[start] == ' ' || line[start] == '\t')) {
            start++;
        }
        return start;
    }

    private int trimEnd(int start, int end) {
        while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t')) {
            end--;
        }
        return end;
    }

    private boolean regionMatches(int at, byte[] expected) {
        for (int i = 0; i < expected.length; i++) {
            if (line[at + i] != expected[i]) {
                return false;
            }
        }
        return true;
    }

    /** ASCII case-insensitive; {@code lowerCase} must be lower case. */
    private boolean equalsIgnoreCase(int start, int end, byte[] lowerCase) {
        if (end - start != lowerCase.length) {
            return false;
        }
        for (int i = 0; i < lowerCase.length; i++) {
            byte b = line[start + i];
            if ((b >= 'A' && b <= 'Z' ? b + 32 : b) != lowerCase[i]) {
                return false;
            }
        }
        return true;
    }

    static String printable(byte[] bytes, int length) {
        StringBuilder out = new StringBuilder(Math.min(length, 121));
        for (int i = 0; i < length && i < 120; i++) {
            int b = bytes[i] & 0xff;
            out.append(b >= 0x20 && b <= 0x7e ? (char) b : '?');
        }
        return length > 120 ? out.append('…').toString() : out.toString();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
