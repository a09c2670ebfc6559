package dev.airouter.lifecycle;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A snapshot of a {@link ManagedProcess}.
 *
 * @param name the process name
 * @param state the current state
 * @param pid the pid of the command itself (never of a wrapper); empty when nothing runs or an
 *     adopted process's pid could not be found
 * @param owned whether this JVM spawned it (false for an adopted process)
 * @param startedAt when the current process was spawned or adopted
 * @param uptime how long it has been running, at the time of the snapshot
 * @param restarts restarts performed by supervision since {@code ensureRunning()}
 * @param lastExitCode the exit code of the last process that ended
 * @param nextRestartAt when the next restart attempt is due, while {@link ProcessState#RESTARTING}
 * @param healthUrl the HTTP health URL, if one is configured
 * @param logFile where the process output is written
 */
public record ProcessStatus(
        String name,
        ProcessState state,
        OptionalLong pid,
        boolean owned,
        Optional<Instant> startedAt,
        Optional<Duration> uptime,
        int restarts,
        OptionalInt lastExitCode,
        Optional<Instant> nextRestartAt,
        Optional<URI> healthUrl,
        Path logFile) {

    /** @return true in {@link ProcessState#RUNNING} or {@link ProcessState#ADOPTED} */
    public boolean isUp() {
        return state == ProcessState.RUNNING || state == ProcessState.ADOPTED;
    }
}
