package dev.airouter.launcher;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Prefixed, coloured output per source, like {@code concurrently -n}: {@code [backend]},
 * {@code [router]}, {@code [frontend]}. Colours are off when stdout is not a terminal or
 * {@code NO_COLOR} is set. Thread-safe: each line is printed whole.
 */
final class Console {
    enum Source {
        LAUNCHER("launcher", "\u001b[1m"),
        BACKEND("backend", "\u001b[34m"),
        ROUTER("router", "\u001b[35m"),
        FRONTEND("frontend", "\u001b[32m");

        final String label;
        final String color;

        Source(String label, String color) {
            this.label = label;
            this.color = color;
        }
    }

    private static final String RESET = "\u001b[0m";
    private final PrintStream out;
    private final boolean color;

    Console(PrintStream out, boolean color) {
        this.out = out;
        this.color = color;
    }

    static Console system() {
        return new Console(new PrintStream(System.out, true, StandardCharsets.UTF_8), colorWanted());
    }

    static boolean colorWanted() {
        return System.console() != null && System.getenv("NO_COLOR") == null && !"dumb".equals(System.getenv("TERM"));
    }

    String prefix(Source source) {
        String p = "[" + source.label + "]";
        return color ? source.color + p + RESET : p;
    }

    void line(Source source, String text) {
        String p = prefix(source);
        synchronized (out) {
            out.println(p + " " + text);
        }
    }

    void plain(String text) {
        synchronized (out) {
            out.println(text);
        }
    }
}
