package dev.airouter.lifecycle;

import java.time.Instant;
import java.util.OptionalLong;

/**
 * Where a child's output lines (and the header line of each start) are written: a {@link RotatingLog},
 * or a view of one.
 */
@FunctionalInterface
interface LogLines {
    /** Writes one line; never throws (a log that cannot be written drops lines and says so once). */
    void line(String text);

    /**
     * Writes the header of a start, {@code message} being e.g. {@code started pid 42 in /srv: cmd args};
     * as a plain line {@code === <time> <message> ===}.
     */
    default void header(Instant time, String message) {
        line("=== " + time + " " + message + " ===");
    }

    /**
     * How a child's lines reach {@code log}: as printed, after a {@code [gN] } mark for a pool replica,
     * or as JSON lines when the configuration says so.
     *
     * @param generation a pool replica's generation; empty for a single process
     */
    static LogLines forChild(LogLines log, ProcessConfig config, OptionalLong generation) {
        if (config.jsonLog()) {
            return new JsonLogLines(log, config.name(), generation, config.clock());
        }
        if (generation.isEmpty()) {
            return log;
        }
        String prefix = "[g" + generation.getAsLong() + "] ";
        return text -> log.line(prefix + text);
    }
}
