package dev.airouter.lifecycle;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict RFC 8259 reader for the JSON-lines tests (router-lifecycle has no JSON library, on purpose):
 * one object per text, no raw control characters in strings, only the escapes the RFC allows, no
 * duplicate keys, nothing after the object. Written apart from the module's writer, so a mistake in
 * one is not repeated in the other.
 */
final class StrictJson {
    private final String text;
    private int at;

    private StrictJson(String text) {
        this.text = text;
    }

    /**
     * @return the object's members in order: String, BigDecimal, Boolean, null, List or Map values
     * @throws IllegalArgumentException naming the position if {@code text} is not exactly one JSON object
     */
    static Map<String, Object> parseObject(String text) {
        StrictJson p = new StrictJson(text);
        p.space();
        if (p.peek() != '{') {
            throw p.error("an object");
        }
        Map<String, Object> object = p.object();
        p.space();
        if (p.at != text.length()) {
            throw p.error("the end of the text");
        }
        return object;
    }

    private Object value() {
        space();
        char c = peek();
        if (c == '{') {
            return object();
        } else if (c == '[') {
            return array();
        } else if (c == '"') {
            return string();
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            return number();
        }
        for (String word : new String[] {"true", "false", "null"}) {
            if (text.startsWith(word, at)) {
                at += word.length();
                return word.equals("null") ? null : Boolean.valueOf(word);
            }
        }
        throw error("a value");
    }

    private Map<String, Object> object() {
        expect('{');
        Map<String, Object> members = new LinkedHashMap<>();
        space();
        if (peek() == '}') {
            at++;
            return members;
        }
        while (true) {
            space();
            if (peek() != '"') {
                throw error("a member name");
            }
            String name = string();
            if (members.containsKey(name)) {
                throw error("no duplicate of '" + name + "'");
            }
            space();
            expect(':');
            members.put(name, value());
            space();
            if (peek() == ',') {
                at++;
            } else {
                expect('}');
                return members;
            }
        }
    }

    private List<Object> array() {
        expect('[');
        List<Object> items = new ArrayList<>();
        space();
        if (peek() == ']') {
            at++;
            return items;
        }
        while (true) {
            items.add(value());
            space();
            if (peek() == ',') {
                at++;
            } else {
                expect(']');
                return items;
            }
        }
    }

    private String string() {
        expect('"');
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return out.toString();
            } else if (c < 0x20) {
                at--;
                throw error("an escaped control character, not U+" + String.format("%04X", (int) c));
            } else if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> out.append(e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (at + 4 > text.length() || !text.substring(at, at + 4).matches("[0-9A-Fa-f]{4}")) {
                        throw error("four hex digits");
                    }
                    out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    at += 4;
                }
                default -> {
                    at--;
                    throw error("a valid escape");
                }
            }
        }
    }

    private BigDecimal number() {
        int start = at;
        while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
        String n = text.substring(start, at);
        if (!n.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) {
            at = start;
            throw error("a number");
        }
        return new BigDecimal(n);
    }

    private void space() {
        while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
    }

    private char peek() {
        if (at >= text.length()) {
            throw error("more text");
        }
        return text.charAt(at);
    }

    private char next() {
        char c = peek();
        at++;
        return c;
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("'" + c + "'");
        }
        at++;
    }

    private IllegalArgumentException error(String expected) {
        return new IllegalArgumentException("not JSON: expected " + expected + " at " + at + " in: " + text);
    }
}
