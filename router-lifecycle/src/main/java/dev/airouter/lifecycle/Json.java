package dev.airouter.lifecycle;

/**
 * The little JSON this module writes (the JSON-lines log), without a JSON library: the module stays
 * free of one for its embedders.
 */
final class Json {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Json() {}

    /**
     * Appends {@code value} as a JSON string (RFC 8259): in quotes, with the quote, the backslash and
     * every control character below U+0020 escaped (<code>\"</code>, <code>\\</code>, <code>&#92;u00XX</code>).
     * Everything else, non-ASCII included, is written as it is; the log is UTF-8.
     */
    static StringBuilder appendString(StringBuilder out, String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
            } else {
                out.append(c);
            }
        }
        return out.append('"');
    }
}
