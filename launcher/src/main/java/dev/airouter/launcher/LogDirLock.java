package dev.airouter.launcher;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One {@code dev}/{@code backend} run per log directory: {@code <log dir>/airouter.lock}, locked
 * with {@link FileChannel#tryLock()} before the run writes a log, spawns a process or binds a port,
 * and held until the launcher exits. A second run on the same directory cannot take the lock and
 * stops before it has touched anything, naming the run that holds it (pid, and its run file).
 *
 * <p>Why a lock and not the run file: the run file is written once the run is ready, so two runs
 * starting together would both find none. The lock is taken at once, atomically, and the operating
 * system drops it when its process ends in any way, {@code kill -9} included, so a lock never goes
 * stale. The file itself stays (deleting it could let two runs lock two different files of that
 * name); its content — the holder's pid and mode — is only read when the lock is refused.
 *
 * <p>In one JVM (runs started in-process, as tests do) the lock cannot tell the runs apart: the
 * operating system's record locks belong to the process, and closing any descriptor of the file —
 * even one that only read it — drops them. So the directories this JVM holds are also kept in
 * {@link #HELD}, and a second claim in the same JVM is refused from there, without opening the file.
 * That set is global on purpose: it mirrors a fact about the process, as the locks themselves do.
 */
final class LogDirLock implements AutoCloseable {
    static final String NAME = "airouter.lock";
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LogDirLock(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the log directory for this process, creating it if needed.
     *
     * @param mode {@code dev} or {@code backend}, written into the lock file for whoever is refused
     * @throws IllegalStateException if another run holds the directory (the message names its pid and
     *     run file), or the lock file cannot be written
     */
    static LogDirLock claim(Path logDir, String mode) {
        Path dir = logDir.toAbsolutePath().normalize();
        Path file = dir.resolve(NAME);
        FileChannel channel = null;
        Path held = null;
        try {
            Files.createDirectories(dir);
            Path real = dir.toRealPath();
            if (!HELD.add(real)) {
                Properties self = new Properties();
                self.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
                throw new IllegalStateException(inUse(dir, Optional.of(self)));
            }
            held = real;
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // not through HELD: cannot happen, but refused all the same
            }
            if (lock == null) {
                throw new IllegalStateException(inUse(dir, holder(file)));
            }
            Properties p = new Properties();
            p.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
            p.setProperty("mode", mode);
            StringWriter text = new StringWriter();
            p.store(text, "airouter: this log directory is in use while a process holds a lock on this file");
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(false);
            return new LogDirLock(real, channel, lock);
        } catch (IOException e) {
            close(channel);
            release(held);
            throw new IllegalStateException("cannot use --log-dir " + dir + ": " + e.getMessage()
                    + " (the launcher keeps its logs and the lock file " + NAME + " there); make it writable, or pass"
                    + " another --log-dir", e);
        } catch (RuntimeException e) {
            close(channel);
            release(held);
            throw e;
        }
    }

    private static void release(Path held) {
        if (held != null) {
            HELD.remove(held);
        }
    }

    /** The holder as its lock file tells it: pid and mode; empty when it has not written them yet. */
    private static Optional<Properties> holder(Path file) {
        try {
            Properties p = new Properties();
            p.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
            return p.getProperty("pid") == null ? Optional.empty() : Optional.of(p);
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static String inUse(Path dir, Optional<Properties> lockFile) {
        Optional<Properties> run = RunFile.read(dir);
        Properties holder = run.or(() -> lockFile).orElse(new Properties());
        String pid = holder.getProperty("pid", "unknown");
        String who = "another airouter " + holder.getProperty("mode", "run") + " (pid " + pid
                + Optional.ofNullable(holder.getProperty("instanceId")).map(id -> ", instance " + id).orElse("") + ")";
        String where = run.isPresent() ? "its run file is " + dir.resolve(RunFile.NAME)
                : "it is still starting; its lock file is " + dir.resolve(NAME);
        return "--log-dir " + dir + " is in use by " + who + ": " + where + ". One launcher per log directory: stop"
                + " that one, or give this one its own --log-dir (and free ports, e.g. --backend-port 0"
                + " --router-port 0)";
    }

    /** Releases the directory; idempotent. The operating system does the same when the process ends. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            lock.release();
        } catch (IOException e) {
            // closing the channel below releases it as well
        }
        close(channel);
        HELD.remove(dir);
    }

    private static void close(FileChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            // nothing is left to release
        }
    }
}
