package dev.airouter.backend;

import java.util.Map;

/**
 * An answer other than success, raised anywhere while handling a request and turned into
 * {@code {success:false, error, details}} with {@link #status()} by the dispatcher. The texts are
 * written for the client: they never contain message content or a stack trace.
 */
final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String details;
    private final transient Map<String, String> headers;

    ApiError(int status, String error, String details) {
        this(status, error, details, Map.of());
    }

    ApiError(int status, String error, String details, Map<String, String> headers) {
        super(error, null, false, false); // no stack trace: this is control flow, not a bug
        this.status = status;
        this.details = details;
        this.headers = Map.copyOf(headers);
    }

    static ApiError badRequest(String error, String details) {
        return new ApiError(400, error, details);
    }

    /** 503 with {@code Retry-After: 1}: the router or the store is down, try again shortly. */
    static ApiError unavailable(String error, String details) {
        return new ApiError(503, error, details, Map.of("Retry-After", "1"));
    }

    int status() {
        return status;
    }

    String error() {
        return getMessage();
    }

    String details() {
        return details;
    }

    Map<String, String> headers() {
        return headers;
    }
}
