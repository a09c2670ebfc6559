package dev.airouter.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

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

    static AdminToken create() throws IOException {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        String value = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Path dir = directory();
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
        return new AdminToken(value, file);
    }

    static Path directory() {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isBlank() && Files.isDirectory(Path.of(runtime))) {
            return Path.of(runtime, "airouter");
        }
        String cache = System.getenv("XDG_CACHE_HOME");
        Path base = cache != null && !cache.isBlank() ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("airouter");
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
