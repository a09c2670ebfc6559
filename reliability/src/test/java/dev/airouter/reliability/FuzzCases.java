package dev.airouter.reliability;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Generates hostile requests for {@code POST /api/chat} (backend) and {@code POST /route} (router),
 * all from one {@link Random} so a seed reproduces a run: random JSON shapes, plausible bodies with
 * wrong field values, random bytes, huge strings, numbers and collections, deep nesting, odd encodings
 * (invalid and overlong UTF-8, encoded surrogates, UTF-16 with a BOM, escaped lone surrogates),
 * wrong content types, broken framing and odd request lines. Each case is a complete byte sequence.
 */
final class FuzzCases {
    /**
     * @param label the generator, for the report
     * @param halfClose shut down our sending side after the bytes (framing that promises more than it sends)
     * @param fresh send on a new connection and drop it afterwards (framing the server may not recover from)
     */
    record Case(String label, byte[] bytes, boolean head, boolean halfClose, boolean fresh) {
        String excerpt() {
            String s = new String(bytes, 0, Math.min(bytes.length, 160), StandardCharsets.ISO_8859_1)
                    .replaceAll("[^\\x20-\\x7e]", "·");
            return s + (bytes.length > 160 ? "… (" + bytes.length + " bytes)" : "");
        }
    }

    private static final String[] KEYS = {"message", "query", "sessionId", "session_id", "history", "agent",
        "useHistory", "role", "content", "", "message ", "MESSAGE", "__proto__", "constructor", "x"};
    private static final String[] CONTENT_TYPES = {"text/plain", null, "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/json; charset=utf-16",
        "APPLICATION/JSON", "application/vnd.api+json", "", "application/json; charset=\"UTF-8\"", "json",
        "application/json;;;charset", "application/json; charset=utf-8; charset=ascii", "*/*", "application/\u0001json"};
    private static final String[] METHODS = {"GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "post",
        "FOO", "CONNECT", "PROPFIND"};

    private final Random random;
    private final String host;

    FuzzCases(Random random, String host) {
        this.random = random;
        this.host = host;
    }

    /** @param backend true for {@code /api/chat}, false for the router's {@code /route} */
    Case next(boolean backend) {
        String path = backend ? "/api/chat" : "/route";
        String field = backend ? "message" : "query";
        int r = random.nextInt(100);
        if (r < 28) {
            return post("json-shape", path, "application/json", utf8(json(0)));
        } else if (r < 45) {
            return post("plausible", path, "application/json", utf8(plausible(backend, field)));
        } else if (r < 53) {
            byte[] b = new byte[random.nextInt(300)];
            random.nextBytes(b);
            return post("random-bytes", path, "application/json", b);
        } else if (r < 56) {
            return huge(path, field);
        } else if (r < 58) {
            return deep(path, field);
        } else if (r < 68) {
            return encoding(path, field);
        } else if (r < 76) {
            String ct = CONTENT_TYPES[random.nextInt(CONTENT_TYPES.length)];
            return post("content-type", path, ct, utf8("{\"" + field + "\":\"hello\"}"));
        } else if (r < 90) {
            return framing(path, field);
        } else {
            return methodOrPath(backend, path);
        }
    }

    // --- JSON ---------------------------------------------------------------------------------

    private String json(int depth) {
        int kind = depth > 5 ? random.nextInt(5) : random.nextInt(7);
        switch (kind) {
            case 0: return string();
            case 1: return number();
            case 2: return random.nextBoolean() ? "true" : "false";
            case 3: return "null";
            case 4: return random.nextBoolean() ? string() : number();
            case 5: {
                StringBuilder sb = new StringBuilder("[");
                int n = random.nextInt(5);
                for (int i = 0; i < n; i++) {
                    sb.append(i > 0 ? "," : "").append(json(depth + 1));
                }
                return sb.append(']').toString();
            }
            default: {
                StringBuilder sb = new StringBuilder("{");
                int n = random.nextInt(5);
                for (int i = 0; i < n; i++) {
                    String key = random.nextInt(4) == 0 ? string() : quote(KEYS[random.nextInt(KEYS.length)]);
                    sb.append(i > 0 ? "," : "").append(key).append(':').append(json(depth + 1));
                }
                return sb.append('}').toString();
            }
        }
    }

    private String plausible(boolean backend, String field) {
        StringBuilder sb = new StringBuilder("{\"").append(field).append("\":");
        sb.append(random.nextInt(5) == 0 ? json(3) : string());
        if (backend) {
            if (random.nextBoolean()) {
                sb.append(",\"sessionId\":").append(random.nextBoolean() ? quote(sessionId()) : json(4));
            }
            if (random.nextInt(4) == 0) {
                sb.append(",\"useHistory\":").append(random.nextBoolean() ? "false" : json(4));
            }
        } else {
            if (random.nextBoolean()) {
                sb.append(",\"session_id\":").append(random.nextBoolean() ? quote(sessionId()) : json(4));
            }
            if (random.nextBoolean()) {
                sb.append(",\"history\":");
                if (random.nextInt(4) == 0) {
                    sb.append(json(3));
                } else {
                    sb.append('[');
                    int n = random.nextInt(8);
                    for (int i = 0; i < n; i++) {
                        String role = random.nextInt(6) == 0 ? json(4) : quote(new String[] {"user", "assistant", "system", "bot"}[random.nextInt(4)]);
                        sb.append(i > 0 ? "," : "").append("{\"role\":").append(role).append(",\"content\":")
                                .append(random.nextInt(6) == 0 ? json(4) : string()).append('}');
                    }
                    sb.append(']');
                }
            }
        }
        if (random.nextInt(4) == 0) {
            sb.append(",\"agent\":").append(random.nextBoolean()
                    ? quote(new String[] {"auto", "calculator", "conversation-recall", "nope", "", " "}[random.nextInt(6)])
                    : json(4));
        }
        if (random.nextInt(8) == 0) {
            sb.append(",\"").append(field).append("\":\"duplicate\"");
        }
        return sb.append('}').toString();
    }

    private String sessionId() {
        String chars = "abcXYZ019_-";
        int n = random.nextInt(10) == 0 ? 200 : 1 + random.nextInt(40);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(random.nextInt(20) == 0 ? (char) (32 + random.nextInt(95)) : chars.charAt(random.nextInt(chars.length())));
        }
        return sb.toString();
    }

    private String string() {
        int kind = random.nextInt(10);
        switch (kind) {
            case 0: return "\"\"";
            case 1: return "\"   \\t\\n \"";
            case 2: return quote(new String[] {"What did I just say?", "what is 6 times 7", "hello", "help",
                "what time is it", "2^1000000", "9^9^9^9", "1/0", "sqrt(-1)", "((((((((((1))))))))))", "summarise our conversation",
                "what was my third message?", "100 factorial", "1e308 * 10", "-2^0.5"}[random.nextInt(15)]);
            case 3: return "\"\\ud800\"";
            case 4: return "\"a\\u0000b\\u001f\"";
            case 5: return "\"\\uDFFF\\uD800x\"";
            default: {
                StringBuilder sb = new StringBuilder("\"");
                int n = random.nextInt(60);
                for (int i = 0; i < n; i++) {
                    int c;
                    switch (random.nextInt(6)) {
                        case 0: c = 0x20 + random.nextInt(95); break;
                        case 1: c = 0x80 + random.nextInt(0x780); break;
                        case 2: c = 0x1F600 + random.nextInt(80); break;
                        case 3: c = 0x4E00 + random.nextInt(0x5000); break;
                        case 4: c = random.nextInt(0x20); break;
                        default: c = "0123456789+-*/^() .%".charAt(random.nextInt(20)); break;
                    }
                    if (c == '"' || c == '\\' || c < 0x20) {
                        sb.append(String.format("\\u%04x", c));
                    } else {
                        sb.appendCodePoint(c);
                    }
                }
                return sb.append('"').toString();
            }
        }
    }

    private String number() {
        switch (random.nextInt(6)) {
            case 0: return Integer.toString(random.nextInt());
            case 1: return "1e999999";
            case 2: return "-0.0";
            case 3: return "1".repeat(1 + random.nextInt(6000));
            case 4: return "0." + "9".repeat(random.nextInt(500)) + "e-99999";
            default: return Double.toString(random.nextGaussian() * 1e300);
        }
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\' || c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    // --- big, deep, encodings -----------------------------------------------------------------

    private Case huge(String path, String field) {
        switch (random.nextInt(5)) {
            case 0: return post("huge-string", path, "application/json",
                    utf8("{\"" + field + "\":\"" + "é".repeat(200_000 + random.nextInt(200_000)) + "\"}"));
            case 1: return post("over-limit", path, "application/json",
                    utf8("{\"" + field + "\":\"" + "x".repeat(1_100_000) + "\"}"));
            case 2: {
                StringBuilder sb = new StringBuilder("{");
                for (int i = 0; i < 40_000; i++) {
                    sb.append('"').append("k").append(i).append("\":").append(i).append(',');
                }
                return post("many-keys", path, "application/json", utf8(sb.append("\"" + field + "\":\"hi\"}").toString()));
            }
            case 3: return post("long-array", path, "application/json",
                    utf8("{\"" + field + "\":\"hi\",\"history\":[" + "{\"role\":\"user\",\"content\":\"a\"},".repeat(20_000)
                            + "{\"role\":\"user\",\"content\":\"a\"}]}"));
            default: return post("big-number", path, "application/json",
                    utf8("{\"" + field + "\":" + "9".repeat(500_000) + "}"));
        }
    }

    private Case deep(String path, String field) {
        int depth = 100_000;
        switch (random.nextInt(4)) {
            case 0: return post("deep-arrays", path, "application/json", utf8("[".repeat(depth) + "]".repeat(depth)));
            case 1: return post("deep-arrays-open", path, "application/json", utf8("[".repeat(depth)));
            case 2: return post("deep-in-field", path, "application/json",
                    utf8("{\"" + field + "\":\"hi\",\"x\":" + "[".repeat(depth) + "]".repeat(depth) + "}"));
            default: return post("deep-objects", path, "application/json",
                    utf8("{\"a\":".repeat(depth / 10) + "1" + "}".repeat(depth / 10)));
        }
    }

    private Case encoding(String path, String field) {
        String valid = "{\"" + field + "\":\"hello there\"}";
        byte[][] bad = {
            {(byte) 0xFF}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE0, (byte) 0x80, (byte) 0xAF},
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
            {(byte) 0xC3}, {(byte) 0xF0, (byte) 0x9F, (byte) 0x98}, {0}, {(byte) 0xC1, (byte) 0xBF},
            {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}};
        switch (random.nextInt(6)) {
            case 0: {
                byte[] b = bad[random.nextInt(bad.length)];
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                body.writeBytes(utf8("{\"" + field + "\":\"hel"));
                body.writeBytes(b);
                body.writeBytes(utf8("lo\"}"));
                return post("invalid-utf8", path, "application/json", body.toByteArray());
            }
            case 1: {
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                boolean le = random.nextBoolean();
                body.writeBytes(le ? new byte[] {(byte) 0xFF, (byte) 0xFE} : new byte[] {(byte) 0xFE, (byte) 0xFF});
                body.writeBytes(valid.getBytes(le ? StandardCharsets.UTF_16LE : StandardCharsets.UTF_16BE));
                return post("utf16-bom", path, "application/json", body.toByteArray());
            }
            case 2: {
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                body.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
                body.writeBytes(utf8(valid));
                return post("utf8-bom", path, "application/json", body.toByteArray());
            }
            case 3: return post("utf16-no-bom", path, "application/json", valid.getBytes(StandardCharsets.UTF_16LE));
            case 4: return post("escaped-surrogates", path, "application/json",
                    utf8("{\"" + field + "\":\"x\\ud83d\",\"history\":[{\"role\":\"user\",\"content\":\"\\udc00\"}]}"));
            default: {
                byte[] b = bad[random.nextInt(bad.length)];
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                body.writeBytes(utf8("{\""));
                body.writeBytes(b);
                body.writeBytes(utf8("\":1,\"" + field + "\":\"hi\"}"));
                return post("invalid-utf8-key", path, "application/json", body.toByteArray());
            }
        }
    }

    // --- framing, methods, paths --------------------------------------------------------------

    private Case framing(String path, String field) {
        byte[] body = utf8("{\"" + field + "\":\"hello\"}");
        String h = "Host: " + host + "\r\n";
        String ct = "Content-Type: application/json\r\n";
        switch (random.nextInt(16)) {
            case 0: return raw("cl-more-than-sent", "POST " + path + " HTTP/1.1\r\n" + h + ct + "Content-Length: "
                    + (body.length + 1 + random.nextInt(1000)) + "\r\n\r\n", body, true);
            case 1: return raw("cl-negative", "POST " + path + " HTTP/1.1\r\n" + h + ct + "Content-Length: -5\r\n\r\n", body, true);
            case 2: return raw("cl-garbage", "POST " + path + " HTTP/1.1\r\n" + h + ct + "Content-Length: 1x2\r\n\r\n", body, true);
            case 3: return raw("cl-twice", "POST " + path + " HTTP/1.1\r\n" + h + ct + "Content-Length: " + body.length
                    + "\r\nContent-Length: " + (body.length + 3) + "\r\n\r\n", body, true);
            case 4: return raw("cl-and-chunked", "POST " + path + " HTTP/1.1\r\n" + h + ct + "Content-Length: " + body.length
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n", utf8(Integer.toHexString(body.length) + "\r\n"
                    + new String(body, StandardCharsets.UTF_8) + "\r\n0\r\n\r\n"), true);
            case 5: return raw("chunked-bad-size", "POST " + path + " HTTP/1.1\r\n" + h + ct
                    + "Transfer-Encoding: chunked\r\n\r\n", utf8(random.nextBoolean() ? "zz\r\nhello\r\n0\r\n\r\n"
                    : "ffffffffffffffffff\r\nhello\r\n"), true);
            case 6: {
                String text = new String(body, StandardCharsets.UTF_8);
                return raw("chunked-ok", "POST " + path + " HTTP/1.1\r\n" + h + ct + "Transfer-Encoding: chunked\r\n\r\n",
                        utf8("5\r\n" + text.substring(0, 5) + "\r\n" + Integer.toHexString(text.length() - 5) + "\r\n"
                                + text.substring(5) + "\r\n0\r\n\r\n"), random.nextBoolean());
            }
            case 7: return raw("no-host-http10", "POST " + path + " HTTP/1.0\r\n" + ct + "Content-Length: " + body.length
                    + "\r\n\r\n", body, true);
            case 8: return raw("bad-version", "POST " + path + " HTTP/" + new String[] {"2.0", "1.7", "9", "x"}[random.nextInt(4)]
                    + "\r\n" + h + ct + "Content-Length: " + body.length + "\r\n\r\n", body, true);
            case 9: {
                byte[] junk = new byte[1 + random.nextInt(200)];
                random.nextBytes(junk);
                return raw("garbage-request", "", junk, true);
            }
            case 10: return raw("long-url", "GET " + path + "?" + "a".repeat(20_000 + random.nextInt(100_000))
                    + " HTTP/1.1\r\n" + h + "\r\n", new byte[0], true);
            case 11: return raw("long-header", "POST " + path + " HTTP/1.1\r\n" + h + ct + "X-Big: "
                    + "b".repeat(20_000 + random.nextInt(100_000)) + "\r\nContent-Length: " + body.length + "\r\n\r\n", body, true);
            case 12: {
                StringBuilder many = new StringBuilder();
                for (int i = 0; i < 2000; i++) {
                    many.append("X-H").append(i).append(": v\r\n");
                }
                return raw("many-headers", "POST " + path + " HTTP/1.1\r\n" + h + ct + many + "Content-Length: "
                        + body.length + "\r\n\r\n", body, true);
            }
            case 13: return raw("lf-only", "POST " + path + " HTTP/1.1\n" + h.replace("\r", "") + ct.replace("\r", "")
                    + "Content-Length: " + body.length + "\n\n", body, true);
            case 14: return raw("nul-in-header", "POST " + path + " HTTP/1.1\r\n" + h + ct + "X-Id: a\u0000b\r\nContent-Length: "
                    + body.length + "\r\n\r\n", body, true);
            default: return raw("expect-100", "POST " + path + " HTTP/1.1\r\n" + h + ct + "Expect: 100-continue\r\nContent-Length: "
                    + body.length + "\r\n\r\n", body, true);
        }
    }

    private Case methodOrPath(boolean backend, String path) {
        String method = METHODS[random.nextInt(METHODS.length)];
        String[] paths = backend
                ? new String[] {path, "/api/sessions/" + sessionId().replace(" ", "%20"), "/api/sessions/", "/api/chat/clear",
                    "/api/../api/chat", "/api/chat%00", "/%2e%2e/etc/passwd", "/api/chat?x=1#frag", "//api//chat", "*",
                    "http://evil.example/api/chat", "/api/sessions/a/b", "/api/status", "/health"}
                : new String[] {path, "/health", "/agents", "/route/", "/../route", "/route%00", "*", "/route?x=%zz"};
        String p = paths[random.nextInt(paths.length)];
        boolean withBody = random.nextBoolean();
        byte[] body = withBody ? utf8("{\"message\":\"hello\",\"sessionId\":\"s1\"}") : new byte[0];
        String head = method + " " + p + " HTTP/1.1\r\nHost: " + host + "\r\n"
                + (method.equals("OPTIONS") && random.nextBoolean() ? "Origin: http://127.0.0.1:3000\r\n"
                        + "Access-Control-Request-Method: POST\r\n" : "")
                + (withBody ? "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n" : "") + "\r\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(body);
        return new Case("method-path", out.toByteArray(), method.equals("HEAD"), false, false);
    }

    private Case post(String label, String path, String contentType, byte[] body) {
        String head = "POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\n"
                + (contentType == null ? "" : "Content-Type: " + contentType + "\r\n")
                + "Content-Length: " + body.length + "\r\n\r\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream(head.length() + body.length);
        out.writeBytes(head.getBytes(StandardCharsets.UTF_8));
        out.writeBytes(body);
        return new Case(label, out.toByteArray(), false, false, body.length > 1_000_000);
    }

    private static Case raw(String label, String head, byte[] body, boolean halfClose) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(body);
        return new Case(label, out.toByteArray(), false, halfClose, true);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
