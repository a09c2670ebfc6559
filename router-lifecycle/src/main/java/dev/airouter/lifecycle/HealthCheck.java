package dev.airouter.lifecycle;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;

/**
 * An HTTP health check: {@code GET url} answers 2xx and, optionally, a body that passes a check.
 *
 * <p>It decides adoption (a healthy, expected service found on the port is adopted instead of
 * spawned), is the default readiness check, and is what the liveness probe calls. Immutable;
 * {@code expecting…} and {@code withTimeout} return modified copies.
 *
 * <pre>{@code
 * HealthCheck.http("http://127.0.0.1:8888/health").expectingJsonField("service", "ai-router")
 * }</pre>
 */
public final class HealthCheck {
    /** The placeholder a {@link ProcessPool} replaces with each replica's port. */
    public static final String PORT_PLACEHOLDER = "{port}";
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

    private final HttpUrl url; // for a template: the URL with port 1 in place of the placeholder
    private final String template; // null unless the URL has the port placeholder
    private final Predicate<String> bodyCheck;
    private final String expectation;
    private final Duration timeout;
    private final HealthAnswerListener onHealthy;

    private HealthCheck(HttpUrl url, String template, Predicate<String> bodyCheck, String expectation, Duration timeout,
            HealthAnswerListener onHealthy) {
        this.url = url;
        this.template = template;
        this.bodyCheck = bodyCheck;
        this.expectation = expectation;
        this.timeout = timeout;
        this.onHealthy = onHealthy;
    }

    /**
     * A check that passes on any 2xx answer from {@code url}. For the replicas of a
     * {@link ProcessPool}, write the port as {@value #PORT_PLACEHOLDER}
     * ({@code http://127.0.0.1:{port}/health}): the pool fills in each replica's own.
     *
     * @param url an absolute {@code http://} or {@code https://} URL, e.g. {@code http://127.0.0.1:8888/health}
     * @return the check
     * @throws IllegalArgumentException if the URL is malformed or not HTTP(S)
     */
    public static HealthCheck http(String url) {
        Objects.requireNonNull(url, "url");
        String trimmed = url.trim();
        boolean template = trimmed.contains(PORT_PLACEHOLDER);
        HttpUrl parsed = HttpUrl.parse(template ? trimmed.replace(PORT_PLACEHOLDER, "1") : trimmed);
        if (parsed == null) {
            throw new IllegalArgumentException("healthCheck: '" + url
                    + "' is not an absolute http(s) URL; expected e.g. http://127.0.0.1:8888/health");
        }
        return new HealthCheck(parsed, template ? trimmed : null, body -> true, "any 2xx response", DEFAULT_TIMEOUT,
                null);
    }

    /**
     * Fills in the port placeholder.
     *
     * @param port the port, 1–65535
     * @return a copy checking the URL with {@code port} in place of {@value #PORT_PLACEHOLDER}; this
     *     check itself when its URL has no placeholder
     * @throws IllegalArgumentException if the port is out of range
     */
    public HealthCheck withPort(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("healthCheck port must be 1-65535, was " + port);
        }
        if (template == null) {
            return this;
        }
        HttpUrl resolved = HttpUrl.get(template.replace(PORT_PLACEHOLDER, Integer.toString(port)));
        return new HealthCheck(resolved, null, bodyCheck, expectation.replace(PORT_PLACEHOLDER, Integer.toString(port)),
                timeout, onHealthy);
    }

    /** @return whether the URL still has the {@value #PORT_PLACEHOLDER} placeholder */
    public boolean hasPortPlaceholder() {
        return template != null;
    }

    /**
     * Also requires the response body to pass {@code check}.
     *
     * @param check the body check
     * @param description what the check expects, used in error messages
     * @return a new check
     */
    public HealthCheck expectingBody(Predicate<String> check, String description) {
        Objects.requireNonNull(check, "check");
        Objects.requireNonNull(description, "description");
        return new HealthCheck(url, template, bodyCheck.and(check), expectation + " with " + description, timeout,
                onHealthy);
    }

    /**
     * Also requires a top-level JSON string field with the given value, e.g. {@code "service":"ai-router"}.
     *
     * @param field the field name
     * @param value the expected value
     * @return a new check
     */
    public HealthCheck expectingJsonField(String field, String value) {
        Pattern pattern = Pattern.compile(
                "\"" + Pattern.quote(field) + "\"\\s*:\\s*\"" + Pattern.quote(value) + "\"");
        return expectingBody(body -> pattern.matcher(body).find(), "\"" + field + "\": \"" + value + "\"");
    }

    /**
     * Sets how long one check may take (connect + response); default 2 s.
     *
     * @param timeout a positive duration
     * @return a new check
     * @throws IllegalArgumentException if not positive
     */
    public HealthCheck withTimeout(Duration timeout) {
        return new HealthCheck(url, template, bodyCheck, expectation, Durations.positive("healthCheck timeout", timeout),
                onHealthy);
    }

    /**
     * Hands the body of every answer that passes this check to {@code listener}: the adoption check,
     * each readiness probe that passes, and each liveness probe that passes. A process that
     * advertises facts about itself in its health answer (limits, a version, the work it accepts)
     * is thus read at no extra round trip, and read again after every restart. The listener runs on
     * the probing thread. The answer that makes a process ready (or adopted) reaches it before that
     * state change is published, so it has seen an answer before {@link ProcessState#RUNNING} or
     * {@link ProcessState#ADOPTED} is reported; other probes may also pass around that moment, so the
     * listener can be called more than once, from several threads at once, and after the change: it
     * must be thread-safe and quick, and an exception it throws is logged and ignored (the check
     * still passes).
     *
     * @param listener receives the URL that answered (the pool's replicas share one listener) and the body
     * @return a new check
     * @throws IllegalStateException if this check already has a listener
     */
    public HealthCheck onHealthyAnswer(HealthAnswerListener listener) {
        Objects.requireNonNull(listener, "listener");
        if (onHealthy != null) {
            throw new IllegalStateException("this health check already has an onHealthyAnswer listener");
        }
        return new HealthCheck(url, template, bodyCheck, expectation, timeout, listener);
    }

    /**
     * @return the URL that is checked
     * @throws IllegalStateException if the URL still has the port placeholder (see {@link #withPort})
     */
    public URI url() {
        requireResolved();
        return url.uri();
    }

    /**
     * @return the port of the URL (explicit or the scheme's default)
     * @throws IllegalStateException if the URL still has the port placeholder (see {@link #withPort})
     */
    public int port() {
        requireResolved();
        return url.port();
    }

    private void requireResolved() {
        if (template != null) {
            throw new IllegalStateException("health check " + template + " has a " + PORT_PLACEHOLDER
                    + " placeholder; a ProcessPool fills it in for each replica (or call withPort)");
        }
    }

    /** @return the host of the URL */
    public String host() {
        return url.host();
    }

    /** @return how long one check may take */
    public Duration timeout() {
        return timeout;
    }

    /** @return a description of what a passing answer looks like */
    public String expectation() {
        return expectation;
    }

    HttpUrl httpUrl() {
        return url;
    }

    boolean acceptsBody(String body) {
        return bodyCheck.test(body);
    }

    /** Hands a passing answer's body to the {@link #onHealthyAnswer} listener, if any. */
    void healthy(String body) {
        if (onHealthy != null) {
            onHealthy.onAnswer(url.uri(), body);
        }
    }

    @Override
    public String toString() {
        return "GET " + (template != null ? template : url) + " expecting " + expectation;
    }
}
