package dev.airouter.lifecycle;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Process-tree operations. On Linux it reads {@code /proc} for process groups and zombie state;
 * elsewhere it falls back to {@link ProcessHandle} (descendants only, zombies not recognised).
 *
 * <p>Why both descendants and the process group: descendants are the tree as it is now, but a
 * grandchild whose parent already died is re-parented to init and drops out of it; the process
 * group still holds it. Members of the group that left it on purpose ({@code setsid}) are reached
 * only while they are still descendants, which is why {@link #snapshot} runs before any signal.
 */
final class ProcessTree {
    static final String LIFELINE_MARK = "airouter-lifeline";
    private static final boolean PROC = Files.isDirectory(Path.of("/proc/self"));
    private static final long POLL_NANOS = Duration.ofMillis(5).toNanos();

    private ProcessTree() {}

    /** Alive and not a zombie: an exited, unreaped process (state Z) counts as gone. */
    static boolean isAlive(long pid) {
        if (PROC) {
            Optional<String[]> stat = stat(pid);
            if (stat.isEmpty()) {
                return false;
            }
            String state = stat.get()[0];
            return !state.equals("Z") && !state.equals("X");
        }
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The live members of process group {@code pgid} (Linux only; empty elsewhere). */
    static Set<Long> groupMembers(long pgid) {
        Set<Long> pids = new LinkedHashSet<>();
        if (!PROC || pgid <= 1) {
            return pids;
        }
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            entries.forEach(p -> {
                String name = p.getFileName().toString();
                if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
                    long pid;
                    try {
                        pid = Long.parseLong(name);
                    } catch (NumberFormatException e) {
                        return;
                    }
                    stat(pid).ifPresent(f -> {
                        if (Long.parseLong(f[2]) == pgid && !f[0].equals("Z")) {
                            pids.add(pid);
                        }
                    });
                }
            });
        } catch (IOException | RuntimeException e) {
            // /proc vanished or changed shape: fall back to descendants only
        }
        return pids;
    }

    /** The root, its descendants and its process group, lifeline watchers excluded. */
    static Set<Long> snapshot(long rootPid, long pgid) {
        Set<Long> pids = new LinkedHashSet<>();
        pids.add(rootPid);
        ProcessHandle.of(rootPid).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
        pids.addAll(groupMembers(pgid));
        pids.removeIf(ProcessTree::isWatcher);
        return pids;
    }

    /**
     * A lifeline watcher runs as {@code sh -c SCRIPT airouter-lifeline PGID}: the mark is exactly its
     * fourth argument. Matching the exact word (not a substring) keeps the wrapper itself, in the
     * instant before it execs the command, and any user command mentioning the mark, out of it.
     */
    static boolean isWatcher(long pid) {
        List<String> args = arguments(pid);
        return args.size() >= 5 && args.get(1).equals("-c") && args.get(3).equals(LIFELINE_MARK);
    }

    /** Lifeline watchers among the root's descendants (to wait for after closing the lifeline). */
    static Set<Long> watchers(long rootPid) {
        Set<Long> pids = new LinkedHashSet<>();
        ProcessHandle.of(rootPid).ifPresent(h -> h.descendants().forEach(d -> {
            if (isWatcher(d.pid())) {
                pids.add(d.pid());
            }
        }));
        return pids;
    }

    /**
     * SIGTERM to every process of the tree, up to {@code grace} for them to go, then SIGKILL to
     * what is left (re-reading the group, which may have forked meanwhile), until {@code deadline}.
     *
     * @return true when everything is gone
     */
    static boolean terminate(long rootPid, long pgid, Duration grace, long deadlineNanos) {
        Set<Long> targets = snapshot(rootPid, pgid);
        for (long pid : targets) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        }
        long graceEnd = Math.min(deadlineNanos, System.nanoTime() + grace.toNanos());
        if (awaitGone(targets, pgid, graceEnd)) {
            return true;
        }
        return kill(targets, pgid, deadlineNanos);
    }

    /** SIGKILL to the given processes and the group, then wait until they are gone or the deadline. */
    static boolean kill(Set<Long> known, long pgid, long deadlineNanos) {
        Set<Long> targets = new LinkedHashSet<>(known);
        Set<Long> group = groupMembers(pgid);
        group.removeIf(ProcessTree::isWatcher);
        targets.addAll(group);
        for (long pid : targets) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        return awaitGone(targets, pgid, deadlineNanos);
    }

    static boolean awaitGone(Set<Long> pids, long pgid, long deadlineNanos) {
        while (true) {
            pids.removeIf(pid -> !isAlive(pid));
            if (pids.isEmpty()) {
                Set<Long> group = groupMembers(pgid);
                group.removeIf(ProcessTree::isWatcher);
                if (group.isEmpty()) {
                    return true;
                }
                pids.addAll(group);
            }
            if (System.nanoTime() - deadlineNanos >= 0) {
                return false;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    private static List<String> arguments(long pid) {
        if (!PROC) {
            return List.of();
        }
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return List.of(new String(raw, StandardCharsets.UTF_8).split("\0"));
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    static Optional<String> commandLine(long pid) {
        if (!PROC) {
            return ProcessHandle.of(pid).flatMap(h -> h.info().commandLine());
        }
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            String s = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').trim();
            return s.isEmpty() ? Optional.empty() : Optional.of(s);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Fields of /proc/PID/stat after the command name: [0]=state, [1]=ppid, [2]=pgrp, [3]=session. */
    private static Optional<String[]> stat(long pid) {
        try {
            String s = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "stat")), StandardCharsets.UTF_8);
            int close = s.lastIndexOf(')');
            if (close < 0) {
                return Optional.empty();
            }
            String[] fields = s.substring(close + 2).split(" ", 5);
            return fields.length >= 4 ? Optional.of(fields) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
