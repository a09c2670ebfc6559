package dev.airouter.session;

import java.util.UUID;

/**
 * Session id rules: 1–128 characters of {@code [A-Za-z0-9_-]}. Every store checks ids with {@link
 * #requireValid} before an id touches a key; an HTTP backend can check earlier with {@link #isValid}.
 * Stateless and thread-safe.
 */
public final class SessionIds {
    /** The longest accepted id, in characters. */
    public static final int MAX_LENGTH = 128;
    private static final int PREVIEW_LENGTH = 40;

    private SessionIds() {}

    /**
     * Checks an id without throwing.
     *
     * @param sessionId the id to check, may be {@code null}
     * @return whether it is 1–128 characters of {@code [A-Za-z0-9_-]}
     */
    public static boolean isValid(String sessionId) {
        return problem(sessionId) == null;
    }

    /**
     * Checks an id and returns it unchanged.
     *
     * @param sessionId the id to check
     * @return {@code sessionId}
     * @throws InvalidSessionIdException if it is {@code null}, empty, longer than 128 characters or
     *     has a character outside {@code [A-Za-z0-9_-]}
     */
    public static String requireValid(String sessionId) {
        String problem = problem(sessionId);
        if (problem != null) {
            throw new InvalidSessionIdException(sessionId, problem);
        }
        return sessionId;
    }

    /** @return a new random id (a UUID, 36 characters), valid by construction */
    public static String random() {
        return UUID.randomUUID().toString();
    }

    private static String problem(String id) {
        if (id == null) {
            return "it is null";
        }
        if (id.isEmpty()) {
            return "it is empty";
        }
        if (id.length() > MAX_LENGTH) {
            return "it has " + id.length() + " characters";
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '-';
            if (!ok) {
                return "character " + i + " is " + String.format("U+%04X", (int) c);
            }
        }
        return null;
    }

    /** A quoted, log-safe preview of a client-supplied id. */
    static String preview(String id) {
        if (id == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        int shown = Math.min(id.length(), PREVIEW_LENGTH);
        for (int i = 0; i < shown; i++) {
            char c = id.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 || c == '"' || c == '\\') {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append('"');
        if (id.length() > shown) {
            out.append("… (").append(id.length()).append(" characters)");
        }
        return out.toString();
    }
}
