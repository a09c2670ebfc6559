package dev.airouter.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;

/**
 * The admin token of one run: 256 random bits, base64url, kept in a file of mode 0600 under
 * {@code $XDG_RUNTIME_DIR/airouter/} (else {@code $XDG_CACHE_HOME/airouter/}, else
 * {@code ~/.cache/airouter/}) — not in the log directory, which is often shipped to log collectors.
 * The run file names the token file, so {@code launcher reload} finds it. The token itself is never
 * printed or logged.
 */
final class AdminToken {
    final String value;
    final Path file;

    private AdminToken(String value, Path file) {
        this.value = value;
        this.file = file;
    }

    /**
     * Makes the run's token and writes its file: under {@code $XDG_RUNTIME_DIR/airouter/}, or the
     * cache directory when that cannot be written.
     *
     * @param warn receives one line when no token file can be written anywhere
     * @return the token, or null when no file could be written (the admin endpoints stay off)
     */
    static AdminToken create(Consumer<String> warn) {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        String value = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        List<String> problems = new ArrayList<>();
        for (Path dir : directories()) {
            try {
                return new AdminToken(value, write(dir, value));
            } catch (IOException | RuntimeException e) {
                problems.add(dir + ": " + e.getMessage());
            }
        }
        warn.accept("warning: cannot write the admin token file (" + String.join("; ", problems)
                + "); 'reload' and /api/admin are off for this run");
        return null;
    }

    private static Path write(Path dir, String value) throws IOException {
        Files.createDirectories(dir);
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException | IOException e) {
            // not POSIX, or not ours to change: the file's own mode still protects the token
        }
        Path file = dir.resolve("admin-token-" + ProcessHandle.current().pid());
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, value + "\n");
        file.toFile().deleteOnExit(); // a backstop; the launcher deletes it itself on every way out it controls
        return file;
    }

    /** Where token files go, in order of preference. */
    static List<Path> directories() {
        List<Path> dirs = new ArrayList<>();
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isBlank() && Files.isDirectory(Path.of(runtime))) {
            dirs.add(Path.of(runtime, "airouter"));
        }
        String cache = System.getenv("XDG_CACHE_HOME");
        Path base = cache != null && !cache.isBlank() ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache");
        dirs.add(base.resolve("airouter"));
        return dirs;
    }

    static String read(Path file) throws IOException {
        return Files.readString(file).trim();
    }

    void delete() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // a leftover token file is useless once its backend has stopped
        }
    }
}
