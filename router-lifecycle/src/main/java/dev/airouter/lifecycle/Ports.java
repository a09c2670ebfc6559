package dev.airouter.lifecycle;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;

/** Who is on a port: a connect attempt, and on Linux the pid holding a listening socket. */
final class Ports {
    private Ports() {}

    static boolean isAccepting(String host, int port, Duration timeout) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) Math.max(1, timeout.toMillis()));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The pid of a process with a socket listening on {@code port}, where /proc shows it. */
    static OptionalLong holderPid(int port) {
        Set<String> inodes = new HashSet<>();
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            try {
                List<String> lines = Files.readAllLines(Path.of(table));
                for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9 && "0A".equals(f[3])) {
                        String local = f[1];
                        int colon = local.lastIndexOf(':');
                        if (colon > 0 && Integer.parseInt(local.substring(colon + 1), 16) == port) {
                            inodes.add(f[9]);
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                // not Linux, or no permission: unknown
            }
        }
        if (inodes.isEmpty()) {
            return OptionalLong.empty();
        }
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : (Iterable<Path>) procs::iterator) {
                String name = proc.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    continue;
                }
                try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
                    for (Path fd : (Iterable<Path>) fds::iterator) {
                        String target = Files.readSymbolicLink(fd).toString();
                        if (target.startsWith("socket:[")
                                && inodes.contains(target.substring(8, target.length() - 1))) {
                            return OptionalLong.of(Long.parseLong(name));
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // process gone or not ours to inspect
                }
            }
        } catch (IOException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }

    static String describeHolder(int port) {
        OptionalLong pid = holderPid(port);
        if (pid.isEmpty()) {
            return "held by a process whose pid could not be found (another user's, or not Linux)";
        }
        String command = ProcessTree.commandLine(pid.getAsLong()).orElse("?");
        if (command.length() > 200) {
            command = command.substring(0, 200) + "…";
        }
        return "held by pid " + pid.getAsLong() + " (" + command + ")";
    }

    static String hostPort(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host.toLowerCase(Locale.ROOT)) + ":" + port;
    }
}
