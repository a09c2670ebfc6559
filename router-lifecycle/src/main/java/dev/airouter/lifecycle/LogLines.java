package dev.airouter.lifecycle;

/** Where a child's output lines (and the header line of each start) are written: a {@link RotatingLog}, or a view of one. */
@FunctionalInterface
interface LogLines {
    /** Writes one line; never throws (a log that cannot be written drops lines and says so once). */
    void line(String text);
}
