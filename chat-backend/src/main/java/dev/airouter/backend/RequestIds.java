package dev.airouter.backend;

import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * {@code X-Request-Id}: a client's id is kept when it is a sane token (the same rule as the router's:
 * 1–128 characters of {@code [A-Za-z0-9._:/+=@-]}), otherwise a new 16-hex-digit id is made. The id
 * is returned to the client, forwarded to the router and written in both access logs.
 */
final class RequestIds {
    /** The rule, as the README's limits table states it. */
    static final String RULE = "1-128 characters of [A-Za-z0-9._:/+=@-]";
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:/+=@-]{1,128}");

    private RequestIds() {}

    static String acceptOrCreate(String header) {
        if (header != null) {
            String value = header.trim();
            if (SAFE.matcher(value).matches()) {
                return value;
            }
        }
        return String.format("%016x", ThreadLocalRandom.current().nextLong());
    }
}
