package dev.airouter.testing;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** Polling with a deadline for fixtures whose readiness has no event to wait on. */
final class Polls {
    private static final Duration INTERVAL = Duration.ofMillis(50);

    private Polls() {}

    /** What one probe saw: done with a value, or not yet, saying what it saw instead. */
    record Check<T>(Optional<T> value, String seen) {
        static <T> Check<T> done(T value) {
            return new Check<>(Optional.of(value), "done");
        }

        static <T> Check<T> notYet(String seen) {
            return new Check<>(Optional.empty(), seen);
        }
    }

    /**
     * Runs {@code probe} every 50 ms until it is done or {@code timeout} has passed. A probe that
     * fails to connect or gets an error reply ({@code LOADING}, {@code NOGOOD}, …) counts as not yet.
     *
     * @param what what is awaited, for the message, e.g. {@code "replica 127.0.0.1:6380 in sync"}
     * @return the value of the first probe that is done
     * @throws IllegalStateException naming {@code what}, the timeout and what the last probe saw
     */
    static <T> T await(String what, Duration timeout, Supplier<Check<T>> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String seen;
        while (true) {
            try {
                Check<T> check = probe.get();
                if (check.value().isPresent()) {
                    return check.value().get();
                }
                seen = check.seen();
            } catch (UncheckedIOException e) {
                seen = e.getMessage() + " (" + e.getCause().getMessage() + ")";
            } catch (IllegalStateException e) {
                seen = e.getMessage();
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException(what + " did not happen within " + timeout.toMillis()
                        + " ms; last seen: " + seen);
            }
            try {
                Thread.sleep(INTERVAL.toMillis()); // polling servers over TCP; nothing to wait on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
    }
}
