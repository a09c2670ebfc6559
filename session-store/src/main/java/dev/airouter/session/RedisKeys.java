package dev.airouter.session;

/**
 * Redis key names of a session, and the {@code SCAN} pattern escaping that counts them. (Error
 * classification lives in {@link RedisErrors}.)
 */
final class RedisKeys {
    private RedisKeys() {}

    /**
     * The keys of one session: {@code <prefix>{<id>}} (metadata hash), {@code …:messages} and {@code
     * …:ids}. The braces are a cluster hash tag, so all three live in one slot, as a script requires.
     * {@code id} must already be validated.
     */
    static String[] of(String prefix, String id) {
        String base = prefix + "{" + id + "}";
        return new String[] {base, base + ":messages", base + ":ids"};
    }

    /** Escapes the glob characters of {@code SCAN MATCH} in a literal prefix. */
    static String globEscape(String literal) {
        StringBuilder out = new StringBuilder(literal.length() + 8);
        for (char c : literal.toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }
}
