package dev.airouter.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * Programs a test needs from the machine ({@code redis-server}, {@code openssl}, …), looked up on the
 * {@code PATH} in one place. A missing program skips the test locally and fails it when the
 * {@code CI} environment variable is set, where {@code .ci/run} must have installed it.
 *
 * <p>The Python interpreter is resolved by {@link Fixtures#python()}, which also sees through
 * version-manager shims.
 */
public final class Programs {
    private Programs() {}

    /**
     * Finds an executable on this JVM's {@code PATH}.
     *
     * @param name the program's file name, e.g. {@code redis-server}
     * @return its path in the first {@code PATH} directory that holds it as an executable file
     */
    public static Optional<Path> onPath(String name) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return Optional.of(Path.of(dir, name));
            }
        }
        return Optional.empty();
    }

    /**
     * Skips the calling test when {@code name} is not on the {@code PATH}, or fails it when {@code CI}
     * is set.
     *
     * @param name the program's file name
     * @param hint how to install it or what it is for, shown in the reason, e.g.
     *     {@code apt-get install -y redis-server}
     */
    public static void assumeInstalled(String name, String hint) {
        if (onPath(name).isPresent()) {
            return;
        }
        missing(name, hint);
    }

    /**
     * Finds {@code name} on the {@code PATH}, else in {@code /usr/bin} (where Debian packages install
     * it, for a JVM started with a narrower {@code PATH}); skips the calling test when it is in neither,
     * or fails it when {@code CI} is set.
     *
     * @param name the program's file name, e.g. {@code promtool}
     * @param hint how to install it, shown in the reason
     * @return the executable's path
     */
    static Path require(String name, String hint) {
        Optional<Path> found = onPath(name);
        if (found.isPresent()) {
            return found.get();
        }
        Path usrBin = Path.of("/usr/bin", name);
        if (Files.isExecutable(usrBin)) {
            return usrBin;
        }
        missing(name, hint);
        throw new AssertionError("unreachable"); // missing() always throws
    }

    private static void missing(String name, String hint) {
        String reason = name + " is not installed (" + hint + ")";
        if (System.getenv("CI") != null) {
            throw new AssertionError(reason + "; CI is set, so this is a failure, not a skip");
        }
        Assumptions.abort(reason);
    }
}
