package dev.airouter.backend;

/** Small text helpers for logs and error details that quote client input. */
final class Text {
    private Text() {}

    /** At most 200 characters, with anything outside printable ASCII replaced by {@code ?}. */
    static String printable(String text) {
        if (text == null) {
            return "-";
        }
        int n = Math.min(text.length(), 200);
        StringBuilder out = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            out.append(c >= 0x21 && c <= 0x7e ? c : '?');
        }
        return text.length() > n ? out.append('…').toString() : out.toString();
    }

    /** The first 8 characters of a session id, for the access log. */
    static String prefix(String sessionId) {
        if (sessionId == null) {
            return "-";
        }
        return printable(sessionId.length() <= 8 ? sessionId : sessionId.substring(0, 8));
    }

    /**
     * Whether the text is empty or only whitespace in Python's sense ({@code str.isspace}), so the
     * backend and the router agree on what "empty" means (Java's {@code isBlank} misses U+00A0 etc.).
     */
    static boolean isBlank(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85)) {
                return false;
            }
        }
        return true;
    }
}
