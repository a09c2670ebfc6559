package dev.airouter.session;

import io.lettuce.core.RedisURI;
import java.util.Locale;
import java.util.Set;

/** Redis URL checks and password masking; passwords never reach a log line or a message. */
final class RedisUrls {
    private static final Set<String> SCHEMES = Set.of("redis", "rediss", "redis-sentinel", "rediss-sentinel");

    private static final String SENTINEL_FORM = "redis-sentinel://[password@]host1:26379,host2:26379/0#mastername";

    private RedisUrls() {}

    /** Returns {@code url} if Lettuce can parse it and its scheme is supported, else throws. */
    static String validate(String url) {
        int colon = url.indexOf("://");
        String scheme = colon < 0 ? "" : url.substring(0, colon).toLowerCase(Locale.ROOT);
        if (!SCHEMES.contains(scheme)) {
            throw new IllegalArgumentException("redisUrl must start with redis://, rediss://, redis-sentinel:// or"
                    + " rediss-sentinel:// (or be \"none\"), got " + mask(url));
        }
        RedisURI uri;
        try {
            uri = RedisURI.create(url);
        } catch (RuntimeException e) {
            // the parser's message may quote the password, so it is not passed on
            throw new IllegalArgumentException("redisUrl cannot be parsed: " + mask(url) + (scheme.endsWith("sentinel")
                    ? "; expected " + SENTINEL_FORM : ""));
        }
        if (scheme.endsWith("sentinel") && (uri.getSentinelMasterId() == null || uri.getSentinelMasterId().isBlank()
                || uri.getSentinels().isEmpty())) {
            throw new IllegalArgumentException("redisUrl " + mask(url) + " names no "
                    + (uri.getSentinels().isEmpty() ? "sentinel" : "master (the name after '#')") + "; expected "
                    + SENTINEL_FORM);
        }
        return url;
    }

    /**
     * Replaces the password in {@code scheme://[user:]password@host…} by {@code ***}, keeping the
     * user name; URLs without credentials are returned unchanged.
     */
    static String mask(String url) {
        if (url == null) {
            return "null";
        }
        int start = url.indexOf("://");
        int at = url.lastIndexOf('@');
        if (start < 0 || at < start + 3) {
            return url;
        }
        String userInfo = url.substring(start + 3, at);
        int colon = userInfo.indexOf(':');
        String masked = colon < 0 ? "***" : userInfo.substring(0, colon) + ":***";
        return url.substring(0, start + 3) + masked + url.substring(at);
    }
}
