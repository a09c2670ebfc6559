package dev.airouter.testing;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit extension that fails a test which leaves a process behind.
 *
 * <p>Before each test it notes the live descendants of this JVM and the live fixture processes
 * (anything whose command line mentions {@link Fixtures#directory()}). After each test (after the
 * test's own {@code @AfterEach} methods) it waits up to {@value #GRACE_MILLIS} ms for every process
 * that appeared meanwhile to end — zombies count as ended — then kills the stragglers by pid and
 * fails the test naming them. Processes started in {@code @BeforeAll} are left alone.
 *
 * <p>Use it with {@code @ExtendWith(NoLeftoverProcesses.class)}.
 */
public final class NoLeftoverProcesses implements BeforeEachCallback, AfterEachCallback {
    static final long GRACE_MILLIS = 3000;
    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(NoLeftoverProcesses.class);

    /** Creates the extension; JUnit calls this. */
    public NoLeftoverProcesses() {}

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NAMESPACE).put("before", snapshot());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        @SuppressWarnings("unchecked")
        Set<Long> before = (Set<Long>) context.getStore(NAMESPACE).get("before", Set.class);
        long deadline = System.nanoTime() + Duration.ofMillis(GRACE_MILLIS).toNanos();
        Set<Long> left;
        do {
            left = snapshot();
            left.removeAll(before);
            if (left.isEmpty()) {
                return;
            }
            try {
                Thread.sleep(20); // polling the process table; no condition to wait on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        } while (System.nanoTime() < deadline);
        String described = left.stream()
                .map(pid -> pid + " " + Processes.commandLine(pid).orElse("?"))
                .collect(Collectors.joining("; "));
        left.forEach(Processes::kill);
        throw new AssertionError("test left " + left.size() + " process(es) running "
                + GRACE_MILLIS + " ms after it ended (now killed): " + described);
    }

    /** @return the live descendants of this JVM plus the live fixture processes */
    public static Set<Long> snapshot() {
        Set<Long> pids = new HashSet<>();
        ProcessHandle.current().descendants()
                .filter(h -> Processes.isAlive(h.pid()))
                .forEach(h -> pids.add(h.pid()));
        List<Long> fixtures = Processes.withCommandLineContaining(Fixtures.directory().toString());
        pids.addAll(fixtures);
        return pids;
    }
}
