package dev.airouter.lifecycle;

import java.util.List;

/** The process exited while it was expected to become ready (or to keep running). */
public final class ProcessExitedException extends LifecycleException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;
    private final List<String> lastLines;

    ProcessExitedException(String message, int exitCode, List<String> lastLines) {
        super(message);
        this.exitCode = exitCode;
        this.lastLines = List.copyOf(lastLines);
    }

    /** @return the process's exit code (128 + signal number when a signal ended it) */
    public int exitCode() {
        return exitCode;
    }

    /** @return the last lines of its output (stdout and stderr interleaved), oldest first */
    public List<String> lastLines() {
        return lastLines;
    }
}
