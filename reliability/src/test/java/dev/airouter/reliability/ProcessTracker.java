package dev.airouter.reliability;

import dev.airouter.testing.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Every process a launcher run started, found two ways so that none slips through: its descendants,
 * polled from the first moment (a grandchild re-parented to init after the launcher dies is no
 * longer a descendant, VERSIONS.md pitfall 9), and a sweep of {@code /proc/*}/environ for a marker
 * variable the launcher was given and its children inherit. A process is identified by pid and
 * start time, so a reused pid is never mistaken for a survivor; zombies count as gone.
 */
final class ProcessTracker implements AutoCloseable {
    static final String MARKER = "AIROUTER_RELIABILITY_TRIAL";

    private final ProcessHandle root;
    private final String markerValue;
    private final Map<Long, Long> seen = new ConcurrentHashMap<>(); // pid → start time (clock ticks)
    private final Thread poller;
    private volatile boolean polling = true;

    ProcessTracker(ProcessHandle root, String markerValue) {
        this.root = root;
        this.markerValue = markerValue;
        this.poller = new Thread(this::poll, "process-tracker-" + root.pid());
        poller.setDaemon(true);
        poller.start();
    }

    private void poll() {
        int round = 0;
        while (polling) {
            collectDescendants();
            if (round++ % 10 == 0) {
                sweep();
            }
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);
        }
    }

    void collectDescendants() {
        root.descendants().forEach(h -> startTime(h.pid()).ifPresent(t -> seen.putIfAbsent(h.pid(), t)));
    }

    /** Adds every live process whose environment carries the marker. */
    void sweep() {
        byte[] needle = (MARKER + "=" + markerValue).getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            entries.map(p -> p.getFileName().toString())
                    .filter(name -> !name.isEmpty() && name.chars().allMatch(Character::isDigit))
                    .mapToLong(Long::parseLong)
                    .filter(pid -> pid != ProcessHandle.current().pid())
                    .forEach(pid -> {
                        if (!seen.containsKey(pid) && environContains(pid, needle)) {
                            startTime(pid).ifPresent(t -> seen.putIfAbsent(pid, t));
                        }
                    });
        } catch (IOException e) {
            // no /proc: descendants only
        }
    }

    private static boolean environContains(long pid, byte[] needle) {
        try {
            byte[] env = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ"));
            outer:
            for (int i = 0; i + needle.length <= env.length; i++) {
                if (i > 0 && env[i - 1] != 0) {
                    continue;
                }
                for (int j = 0; j < needle.length; j++) {
                    if (env[i + j] != needle[j]) {
                        continue outer;
                    }
                }
                return i + needle.length == env.length || env[i + needle.length] == 0;
            }
            return false;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /** @return field 22 of /proc/PID/stat (start time in clock ticks since boot) */
    static Optional<Long> startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Optional.of(Long.parseLong(rest[19]));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** @return the tracked processes still running (same pid and start time, not a zombie) */
    List<Long> alive() {
        return seen.entrySet().stream()
                .filter(e -> Processes.isAlive(e.getKey()) && startTime(e.getKey()).equals(Optional.of(e.getValue())))
                .map(Map.Entry::getKey).sorted().collect(Collectors.toList());
    }

    int size() {
        return seen.size();
    }

    static String describe(List<Long> pids) {
        return pids.stream().map(pid -> pid + " " + Processes.commandLine(pid).orElse("?"))
                .collect(Collectors.joining("; "));
    }

    /** Stops polling (the map stays readable; the interrupt flag is kept). */
    @Override
    public void close() {
        polling = false;
        try {
            poller.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
