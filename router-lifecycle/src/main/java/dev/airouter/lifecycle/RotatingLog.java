package dev.airouter.lifecycle;

import java.io.Closeable;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only log file with size-based rotation ({@code file}, {@code file.1} … {@code file.N}).
 * Each line is written with one unbuffered write, so a reader (or a crash) never sees half a line
 * and nothing waits in a buffer. Thread-safe.
 */
final class RotatingLog implements Closeable, LogLines {
    private static final Logger LOG = LoggerFactory.getLogger(RotatingLog.class);

    private final Path file;
    private final long maxBytes;
    private final int backups;
    private OutputStream out;
    private long size;
    private boolean failed;
    private boolean closed;

    RotatingLog(Path file, long maxBytes, int backups) {
        this.file = file;
        this.maxBytes = maxBytes;
        this.backups = backups;
    }

    Path file() {
        return file;
    }

    @Override
    public synchronized void line(String text) {
        if (closed) {
            return; // a reader outliving close() (a grandchild holds the pipe) must not reopen the file
        }
        byte[] bytes = (text + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            if (out == null) {
                open();
            }
            if (size > 0 && size + bytes.length > maxBytes) {
                rotate();
            }
            out.write(bytes);
            size += bytes.length;
        } catch (IOException e) {
            if (!failed) {
                failed = true; // say it once, not per line
                LOG.warn("cannot write log file {}: {}; output is dropped until it works again", file, e.toString());
            }
            closeQuietly();
        }
    }

    private void open() throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        out = new FileOutputStream(file.toFile(), true);
        size = Files.size(file);
        failed = false;
    }

    private void rotate() throws IOException {
        closeQuietly();
        for (int i = backups - 1; i >= 1; i--) {
            Path from = sibling(i);
            if (Files.exists(from)) {
                Files.move(from, sibling(i + 1), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (Files.exists(file)) {
            Files.move(file, sibling(1), StandardCopyOption.REPLACE_EXISTING);
        }
        open();
    }

    private Path sibling(int index) {
        return file.resolveSibling(file.getFileName() + "." + index);
    }

    private void closeQuietly() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // nothing more to do with a broken log stream
            }
            out = null;
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        closeQuietly();
    }
}
