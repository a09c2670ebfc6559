package dev.airouter.session;

import io.lettuce.core.RedisURI;
import java.util.Locale;
import java.util.Set;

/** Redis URL checks and password masking; passwords never reach a log line or a message. */
final class RedisUrls {
    private static final Set<String> SCHEMES = Set.of("redis", "rediss", "redis-sentinel", "rediss-sentinel",
            "redis-cluster", "rediss-cluster");
    private static final String CLUSTER_FORM = "redis-cluster://[password@]host1:7000,host2:7001,…";

    private static final String SENTINEL_FORM = "redis-sentinel://[password@]host1:26379,host2:26379/0#mastername";

    private RedisUrls() {}

    /** Returns {@code url} if Lettuce can parse it and its scheme is supported, else throws. */
    static String validate(String url) {
        int colon = url.indexOf("://");
        String scheme = colon < 0 ? "" : url.substring(0, colon).toLowerCase(Locale.ROOT);
        if (!SCHEMES.contains(scheme)) {
            throw new IllegalArgumentException("redisUrl must start with redis://, rediss://, redis-sentinel://,"
                    + " rediss-sentinel://, redis-cluster:// or rediss-cluster:// (or be \"none\"), got " + mask(url));
        }
        if (scheme.endsWith("cluster")) {
            clusterSeeds(url, java.time.Duration.ofSeconds(1));
            return url;
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
     * The seed nodes of a {@code redis-cluster://[[user:]password@]host1:port1,host2:port2[/0]} URL
     * ({@code rediss-cluster://} for TLS), each with the credentials and {@code timeout}.
     *
     * @throws IllegalArgumentException naming what is wrong (no seed, a bad port, a database other than 0)
     */
    static java.util.List<RedisURI> clusterSeeds(String url, java.time.Duration timeout) {
        int colon = url.indexOf("://");
        boolean tls = url.toLowerCase(Locale.ROOT).startsWith("rediss-cluster://");
        String rest = url.substring(colon + 3);
        int at = rest.lastIndexOf('@');
        String userInfo = at < 0 ? null : rest.substring(0, at);
        String hostsAndDb = at < 0 ? rest : rest.substring(at + 1);
        int slash = hostsAndDb.indexOf('/');
        String hosts = slash < 0 ? hostsAndDb : hostsAndDb.substring(0, slash);
        String db = slash < 0 ? "" : hostsAndDb.substring(slash + 1);
        if (!db.isEmpty() && !db.equals("0")) {
            throw new IllegalArgumentException("redisUrl " + mask(url) + " names database " + db
                    + ": a Redis Cluster has database 0 only; expected " + CLUSTER_FORM);
        }
        java.util.List<RedisURI> seeds = new java.util.ArrayList<>();
        for (String hostPort : hosts.split(",")) {
            String h = hostPort.trim();
            int c = h.lastIndexOf(':');
            String host = c < 0 ? h : h.substring(0, c);
            int port;
            try {
                port = c < 0 ? 6379 : Integer.parseInt(h.substring(c + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (host.isEmpty() || port < 1 || port > 65535) {
                throw new IllegalArgumentException("redisUrl " + mask(url) + " has a bad seed node '" + h
                        + "'; expected " + CLUSTER_FORM);
            }
            RedisURI.Builder b = RedisURI.builder().withHost(host).withPort(port).withSsl(tls).withTimeout(timeout);
            if (userInfo != null && !userInfo.isEmpty()) {
                int uc = userInfo.indexOf(':');
                String user = uc < 0 ? null : userInfo.substring(0, uc);
                String password = java.net.URLDecoder.decode(uc < 0 ? userInfo : userInfo.substring(uc + 1),
                        java.nio.charset.StandardCharsets.UTF_8);
                if (user == null || user.isEmpty()) {
                    b.withPassword(password.toCharArray());
                } else {
                    b.withAuthentication(user, password);
                }
            }
            seeds.add(b.build());
        }
        return seeds;
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
