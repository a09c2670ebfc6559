package dev.airouter.lifecycle;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.OptionalLong;

/**
 * A child's log as JSON lines ({@link ProcessConfig.Builder#jsonLog(boolean)}): a line that is already
 * a JSON object passes as it is; any other line, and the header of each start, is wrapped in an
 * object with the fields the project's JSON logs share ({@code timestamp}, {@code level},
 * {@code logger}, {@code message}, and {@code generation} for a pool replica). Thread-safe as the log
 * it writes to.
 */
final class JsonLogLines implements LogLines {
    /** The logger named in the header of each start: the lifecycle speaking, not the child. */
    static final String LIFECYCLE_LOGGER = "dev.airouter.lifecycle";
    /** Always with milliseconds ({@link Instant#toString()} drops them when they are zero). */
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final LogLines log;
    private final String outputLogger;
    private final OptionalLong generation;
    private final Clock clock;

    /**
     * @param log where the lines go
     * @param processName the process name; wrapped output lines are logged as {@code <name>.output}
     * @param generation a pool replica's generation, added to wrapped lines
     * @param clock the time of a wrapped output line
     */
    JsonLogLines(LogLines log, String processName, OptionalLong generation, Clock clock) {
        this.log = log;
        this.outputLogger = processName + ".output";
        this.generation = generation;
        this.clock = clock;
    }

    @Override
    public void line(String text) {
        String trimmed = text.trim();
        if (trimmed.startsWith("{") && trimmed.endsWith("}")) {
            log.line(text);
        } else {
            log.line(record(clock.instant(), outputLogger, text));
        }
    }

    @Override
    public void header(Instant time, String message) {
        log.line(record(time, LIFECYCLE_LOGGER, message));
    }

    private String record(Instant time, String logger, String message) {
        StringBuilder out = new StringBuilder(message.length() + 128);
        out.append("{\"timestamp\":\"").append(TIMESTAMP.format(time)).append("\",\"level\":\"INFO\",\"logger\":");
        Json.appendString(out, logger).append(",\"message\":");
        Json.appendString(out, message);
        if (generation.isPresent()) {
            out.append(",\"generation\":").append(generation.getAsLong());
        }
        return out.append('}').toString();
    }
}
