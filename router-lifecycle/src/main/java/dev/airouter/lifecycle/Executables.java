package dev.airouter.lifecycle;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Finds executables on the {@code PATH}, the way a spawned process will: for pre-flight checks such
 * as "is {@code node} installed?" before anything is started.
 */
public final class Executables {
    private static final boolean WINDOWS =
            System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("windows");

    private Executables() {}

    /**
     * Looks an executable up on this JVM's {@code PATH} (with {@code .exe}, {@code .cmd}, {@code .bat}
     * on Windows); a name containing a path separator is checked as a path instead.
     *
     * @param executable a name such as {@code python3}, or a path
     * @return the executable file, if there is one
     */
    public static Optional<Path> onPath(String executable) {
        return find(java.util.Objects.requireNonNull(executable, "executable"), Map.of(), null);
    }

    static boolean isWindows() {
        return WINDOWS;
    }

    static void require(String executable, Map<String, String> environment, Path workingDirectory) {
        if (find(executable, environment, workingDirectory).isEmpty()) {
            String path = environment.getOrDefault("PATH", System.getenv("PATH"));
            throw new IllegalArgumentException("command executable '" + executable + "' was not found"
                    + (executable.contains(File.separator) ? "" : " on PATH (" + path + ")")
                    + " or is not executable; install it or give its full path in command(...)");
        }
    }

    static Optional<Path> find(String executable, Map<String, String> environment, Path workingDirectory) {
        if (executable.contains("/") || executable.contains(File.separator)) {
            Path p = Path.of(executable);
            if (!p.isAbsolute() && workingDirectory != null) {
                p = workingDirectory.resolve(p);
            }
            return Files.isExecutable(p) && !Files.isDirectory(p) ? Optional.of(p) : Optional.empty();
        }
        String path = environment.getOrDefault("PATH", System.getenv("PATH"));
        if (path == null) {
            return Optional.empty();
        }
        String[] suffixes = WINDOWS ? new String[] {"", ".exe", ".cmd", ".bat"} : new String[] {""};
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            for (String suffix : suffixes) {
                Path candidate = Path.of(dir, executable + suffix);
                if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }
}
