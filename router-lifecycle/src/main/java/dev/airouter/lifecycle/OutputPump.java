package dev.airouter.lifecycle;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apache.commons.exec.ExecuteStreamHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces commons-exec's PumpStreamHandler. Reads stdout and stderr line by line into the log,
 * the optional output listener, a ring of the last lines and the log-line readiness patterns.
 *
 * <p>Two deliberate differences from the default: the child's stdin is kept (it is the lifeline and
 * is closed only when we decide), and {@link #stop()} joins the readers with a bound — a
 * grandchild that inherited stdout keeps the pipe open after the child exits, and an unbounded
 * join would then hang (commons-exec EXEC-41). Readers left behind are daemon threads that end when
 * the pipe finally closes.
 */
final class OutputPump implements ExecuteStreamHandler {
    private static final Logger LOG = LoggerFactory.getLogger(OutputPump.class);
    static final int LAST_LINES = 20;
    private static final int MAX_LINE_CHARS = 64 * 1024;
    private static final long JOIN_MILLIS = 1000;

    private final LogLines log;
    private final Consumer<String> listener;
    private final ThreadFactory threads;
    private final List<Watch> watches = new ArrayList<>(); // guarded by this
    private final Deque<String> last = new ArrayDeque<>();
    private volatile OutputStream stdin;
    private volatile Runnable lineHook;
    private InputStream stdout;
    private InputStream stderr;
    private final List<Thread> readers = new ArrayList<>();

    OutputPump(LogLines log, Consumer<String> listener, ThreadFactory threads, List<Pattern> readyPatterns) {
        this.log = log;
        this.listener = listener;
        this.threads = threads;
        readyPatterns.forEach(p -> watches.add(new Watch(p)));
    }

    /** A pattern searched in every line, and whether a line has matched it. */
    private static final class Watch {
        final Pattern pattern;
        boolean matched;

        Watch(Pattern pattern) {
            this.pattern = pattern;
        }

        boolean sameAs(Pattern other) {
            return pattern == other || (pattern.pattern().equals(other.pattern()) && pattern.flags() == other.flags());
        }

        void test(String line) {
            try {
                if (!matched && pattern.matcher(line).find()) {
                    matched = true;
                }
            } catch (StackOverflowError e) {
                // a backtracking pattern on a huge line: not a match; keep draining the pipe
            }
        }
    }

    @Override
    public void setProcessInputStream(OutputStream os) {
        this.stdin = os;
    }

    @Override
    public void setProcessOutputStream(InputStream is) {
        this.stdout = is;
    }

    @Override
    public void setProcessErrorStream(InputStream is) {
        this.stderr = is;
    }

    @Override
    public void start() {
        for (InputStream in : new InputStream[] {stdout, stderr}) {
            if (in != null) {
                Thread t = threads.newThread(() -> pump(in));
                readers.add(t);
                t.start();
            }
        }
    }

    @Override
    public void stop() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_MILLIS);
        for (Thread t : readers) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            try {
                t.join(Math.max(1, left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Closes the child's stdin: the lifeline watcher sees EOF and takes the process group down. */
    void closeStdin() {
        OutputStream in = stdin;
        if (in != null) {
            try {
                in.close();
            } catch (IOException ignored) {
                // already closed by commons-exec after the exit
            }
        }
    }

    /** Runs {@code hook} (quick, non-throwing) after each line from now on; {@code null} removes it. */
    void onEachLine(Runnable hook) {
        this.lineHook = hook;
    }

    synchronized List<String> lastLines() {
        return List.copyOf(last);
    }

    /**
     * Whether a line has matched {@code pattern}: a pattern given at construction is searched in every
     * line; another one from its first use on, and in the last lines kept before it.
     */
    synchronized boolean hasPrinted(Pattern pattern) {
        for (Watch w : watches) {
            if (w.sameAs(pattern)) {
                return w.matched;
            }
        }
        Watch added = new Watch(pattern);
        last.forEach(added::test);
        watches.add(added);
        return added.matched;
    }

    private void pump(InputStream in) {
        StringBuilder line = new StringBuilder();
        try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            char[] buf = new char[8192];
            int n;
            while ((n = reader.read(buf)) >= 0) {
                for (int i = 0; i < n; i++) {
                    char c = buf[i];
                    if (c == '\n') {
                        emit(line);
                    } else if (c != '\r') {
                        line.append(c);
                        if (line.length() >= MAX_LINE_CHARS) {
                            emit(line);
                        }
                    }
                }
            }
        } catch (IOException e) {
            // the pipe was closed under us: the process is gone
        }
        if (line.length() > 0) {
            emit(line);
        }
    }

    private void emit(StringBuilder buffer) {
        String text = buffer.toString();
        buffer.setLength(0);
        log.line(text);
        synchronized (this) {
            if (last.size() == LAST_LINES) {
                last.removeFirst();
            }
            last.addLast(text.length() > 1024 ? text.substring(0, 1024) + "…" : text);
            for (Watch w : watches) {
                w.test(text);
            }
        }
        Runnable hook = lineHook;
        if (hook != null) {
            try {
                hook.run();
            } catch (RuntimeException e) {
                LOG.warn("line hook threw; ignored", e); // the pipe must keep draining
            }
        }
        if (listener != null) {
            try {
                listener.accept(text);
            } catch (RuntimeException | StackOverflowError e) {
                // the pipe must keep draining, or the child blocks on a full pipe
                LOG.warn("output listener threw on a line; ignored", e);
            }
        }
    }
}
