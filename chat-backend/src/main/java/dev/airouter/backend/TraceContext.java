package dev.airouter.backend;

import java.util.concurrent.ThreadLocalRandom;

/**
 * W3C Trace Context ({@code traceparent}) for one request: the trace id the client sent, or a new
 * one, and a new span id for the backend's part. The header is validated as the recommendation says
 * (version 2 hex digits but not {@code ff}; for version {@code 00} exactly 55 characters, for a later
 * version at least 55 with a {@code -} after them; trace id 32 lower-case hex digits, not all zeros;
 * parent id 16, not all zeros; flags 2). A malformed header starts a new trace and is never echoed.
 * Hand-made rather than through the OpenTelemetry API: without its SDK the API makes no ids, and
 * this is all the backend needs (no spans are exported).
 *
 * @param traceId 32 lower-case hex digits
 * @param spanId the backend's span, 16 lower-case hex digits: the parent of the router's
 * @param flags 2 hex digits; {@code 01} (sampled) for a new trace
 */
record TraceContext(String traceId, String spanId, String flags) {
    /** The header's name. */
    static final String HEADER = "traceparent";
    private static final int LENGTH = 55;

    /** @return the context of a request that sent {@code header} (may be {@code null}): its trace, or a new one */
    static TraceContext acceptOrStart(String header) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String span = nonZeroHex(random, 16);
        if (header != null && valid(header.trim())) {
            String value = header.trim();
            return new TraceContext(value.substring(3, 35), span, value.substring(53, 55));
        }
        return new TraceContext(nonZeroHex(random, 32), span, "01");
    }

    /** @return the {@code traceparent} value naming the backend's span as the parent */
    String header() {
        return "00-" + traceId + "-" + spanId + "-" + flags;
    }

    static boolean valid(String value) {
        if (value.length() < LENGTH || !hex(value, 0, 2) || value.startsWith("ff") || value.charAt(2) != '-'
                || !hex(value, 3, 35) || value.charAt(35) != '-' || !hex(value, 36, 52) || value.charAt(52) != '-'
                || !hex(value, 53, 55)) {
            return false;
        }
        if (value.startsWith("00") ? value.length() != LENGTH : value.length() > LENGTH && value.charAt(LENGTH) != '-') {
            return false;
        }
        return !zeros(value, 3, 35) && !zeros(value, 36, 52);
    }

    private static boolean hex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static boolean zeros(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }

    private static String nonZeroHex(ThreadLocalRandom random, int digits) {
        StringBuilder out = new StringBuilder(digits);
        while (out.length() < digits) {
            String part = Long.toHexString(random.nextLong() | 1L); // never all zeros
            out.append("0".repeat(16 - part.length())).append(part);
        }
        return out.substring(0, digits);
    }
}
