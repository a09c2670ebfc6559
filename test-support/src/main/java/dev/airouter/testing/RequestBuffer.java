package dev.airouter.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

/**
 * Assembles one request (head and body) in a reused array, so it leaves in a single write and a
 * kept-alive connection allocates nothing per request. Text is written as ISO-8859-1, byte for char
 * ({@code ?} above U+00FF), as {@code String.getBytes(ISO_8859_1)} would. Not thread-safe.
 */
final class RequestBuffer {
    private byte[] bytes = new byte[1024];
    private int size;

    /**
     * Writes {@code METHOD path HTTP/1.1}, {@code Host}, optionally {@code Connection: close}, the
     * caller's headers in their iteration order, then {@code Content-Length} when there is a body and
     * the caller set neither {@code Content-Length} nor {@code Transfer-Encoding}, then the body.
     */
    RequestBuffer request(String method, String path, String hostAndPort, boolean close,
            Map<String, String> headers, String contentType, byte[] body) {
        size = 0;
        text(method).text(" ").text(path).text(" HTTP/1.1\r\nHost: ").text(hostAndPort).text("\r\n");
        if (close) {
            text("Connection: close\r\n");
        }
        if (contentType != null) {
            text("Content-Type: ").text(contentType).text("\r\n");
        }
        boolean framed = false;
        if (!headers.isEmpty()) { // no entry-set view or iterator on the load benchmark's path
            for (Map.Entry<String, String> header : headers.entrySet()) {
                String name = header.getKey();
                framed |= name.equalsIgnoreCase("Content-Length") || name.equalsIgnoreCase("Transfer-Encoding");
                text(name).text(": ").text(header.getValue()).text("\r\n");
            }
        }
        if (body != null && !framed) {
            text("Content-Length: ").number(body.length).text("\r\n");
        }
        text("\r\n");
        if (body != null) {
            ensure(body.length);
            System.arraycopy(body, 0, bytes, size, body.length);
            size += body.length;
        }
        return this;
    }

    void writeTo(OutputStream out) throws IOException {
        out.write(bytes, 0, size);
        out.flush();
    }

    private RequestBuffer text(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            bytes[size++] = c <= 0xff ? (byte) c : (byte) '?';
        }
        return this;
    }

    private RequestBuffer number(int value) {
        ensure(10);
        int start = size;
        int v = value;
        do {
            bytes[size++] = (byte) ('0' + v % 10);
            v /= 10;
        } while (v > 0);
        for (int i = start, j = size - 1; i < j; i++, j--) {
            byte t = bytes[i];
            bytes[i] = bytes[j];
            bytes[j] = t;
        }
        return this;
    }

    private void ensure(int more) {
        if (size + more > bytes.length) {
            byte[] bigger = new byte[Math.max(bytes.length * 2, size + more)];
            System.arraycopy(bytes, 0, bigger, 0, size);
            bytes = bigger;
        }
    }
}
