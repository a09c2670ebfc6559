package dev.airouter.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;

/**
 * {@code <log dir>/airouter.run}: how a running {@code dev}/{@code backend} can be found (pid,
 * instance id, ports, URLs), so {@code status} works for a run started with port 0. Written when
 * ready, removed on a clean stop; a stale file (its pid gone) is ignored. Only the run holding the
 * directory's {@link LogDirLock} writes it.
 */
final class RunFile {
    static final String NAME = "airouter.run";

    private RunFile() {}

    static void write(Path logDir, Properties values) throws IOException {
        Files.createDirectories(logDir);
        Path tmp = Files.createTempFile(logDir, NAME, ".tmp");
        try (var out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            values.store(out, "airouter run file; removed on clean stop");
        }
        Files.move(tmp, logDir.resolve(NAME), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static Optional<Properties> read(Path logDir) {
        Path file = logDir.resolve(NAME);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException e) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(p.getProperty("pid", "-1"));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        return alive ? Optional.of(p) : Optional.empty();
    }

    static void delete(Path logDir) {
        try {
            Files.deleteIfExists(logDir.resolve(NAME));
        } catch (IOException ignored) {
            // a stale run file is ignored by readers anyway
        }
    }
}
