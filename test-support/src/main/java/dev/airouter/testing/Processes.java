package dev.airouter.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Linux process-table helpers for tests: liveness that treats zombies as gone, command lines,
 * and a search by command-line fragment.
 */
public final class Processes {
    private Processes() {}

    /**
     * Whether {@code pid} is a running process. A zombie (state {@code Z}: exited, not yet reaped —
     * common here because PID 1 reaps late) counts as gone.
     *
     * @param pid the process id
     * @return true while the process exists and is not a zombie
     */
    public static boolean isAlive(long pid) {
        Optional<String> stat = read(Path.of("/proc", Long.toString(pid), "stat"));
        if (stat.isEmpty()) {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
        String s = stat.get();
        int close = s.lastIndexOf(')');
        if (close < 0 || close + 2 >= s.length()) {
            return false;
        }
        char state = s.charAt(close + 2);
        return state != 'Z' && state != 'X';
    }

    /**
     * @param pid the process id
     * @return the command line with arguments separated by spaces, or empty if unknown
     */
    public static Optional<String> commandLine(long pid) {
        return read(Path.of("/proc", Long.toString(pid), "cmdline"))
                .map(s -> s.replace('\0', ' ').trim())
                .filter(s -> !s.isEmpty());
    }

    /**
     * @param fragment text to look for
     * @return live (non-zombie) pids whose command line contains {@code fragment}, excluding this JVM
     */
    public static List<Long> withCommandLineContaining(String fragment) {
        List<Long> found = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            entries.map(p -> p.getFileName().toString())
                    .filter(name -> name.chars().allMatch(Character::isDigit))
                    .map(Long::parseLong)
                    .filter(pid -> pid != self)
                    .forEach(pid -> {
                        if (commandLine(pid).filter(c -> c.contains(fragment)).isPresent() && isAlive(pid)) {
                            found.add(pid);
                        }
                    });
        } catch (IOException e) {
            // no /proc (not Linux): nothing can be found this way
        }
        return found;
    }

    /**
     * Sends SIGKILL to {@code pid} if it is still alive.
     *
     * @param pid the process id
     */
    public static void kill(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
