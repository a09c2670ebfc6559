package dev.airouter.lifecycle;

import java.net.URI;

/**
 * Receives the body of each health answer that passes a {@link HealthCheck} (see
 * {@link HealthCheck#onHealthyAnswer}). The URL tells which process answered: in a
 * {@link ProcessPool} every replica has its own port, and one listener serves them all.
 */
@FunctionalInterface
public interface HealthAnswerListener {
    /**
     * @param url the health URL that answered, with its port filled in
     * @param body the answer's body (UTF-8, at most 64 KiB)
     */
    void onAnswer(URI url, String body);
}
