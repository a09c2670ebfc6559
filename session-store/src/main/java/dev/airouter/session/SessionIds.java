package dev.airouter.session;

import java.util.UUID;

/**
 * Session id rules: {@value #RULE}. Every store checks ids with {@link #requireValid} before an id
 * touches a key; an HTTP backend can check earlier with {@link #isValid} and quote {@link #RULE} when
 * it refuses one. Stateless and thread-safe.
 */
public final class SessionIds {
    /** The longest accepted id, in characters. */
    public static final int MAX_LENGTH = 128;

    /**
     * The id rule as one line of text, {@value}, for error messages and help texts. It is the only
     * place the rule is written out: a caller that refuses an id itself (after {@link #isValid})
     * quotes this instead of restating it, so its message cannot drift from the check.
     */
    public static final String RULE = "1-" + MAX_LENGTH + " characters of [A-Za-z0-9_-]";

    private static final int PREVIEW_LENGTH = 40;

    private SessionIds() {}

    /**
     * Checks an id without throwing.
     *
     * @param sessionId the id to check, may be {@code null}
     * @return whether it follows the rule ({@link #RULE})
     */
    public static boolean isValid(String sessionId) {
        return problem(sessionId) == null;
    }

    /**
     * Checks an id and returns it unchanged.
     *
     * @param sessionId the id to check
     * @return {@code sessionId}
     * @throws InvalidSessionIdException if it is {@code null} or breaks the rule ({@link #RULE}): empty,
     *     longer than {@value #MAX_LENGTH} characters, or with a character outside the set
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
