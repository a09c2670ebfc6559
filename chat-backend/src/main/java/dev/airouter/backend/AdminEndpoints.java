package dev.airouter.backend;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin endpoints: {@code POST /api/admin/reload} starts a router reload (202 with its status
 * URL; 409 while one runs) and {@code GET /api/admin/reload/{id}} tells how it went.
 *
 * <p>Both require {@code Authorization: Bearer <token>} with the configured admin token, whatever
 * address the backend listens on: compared in constant time ({@link MessageDigest#isEqual}), never
 * logged (the access log writes no header), 401 with {@code WWW-Authenticate: Bearer} when missing or
 * wrong (logged with the client's address, at most one line a second with a count of the rest).
 * Without a configured token they answer 404.
 */
final class AdminEndpoints {
    private static final Logger LOG = LoggerFactory.getLogger(ChatBackend.class);
    static final String RELOAD = "/api/admin/reload";

    private static final long REFUSAL_LOG_INTERVAL_NANOS = 1_000_000_000L;
    private final byte[] token;
    private final java.util.concurrent.atomic.AtomicLong lastRefusalLog = new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE);
    private final java.util.concurrent.atomic.AtomicLong unloggedRefusals = new java.util.concurrent.atomic.AtomicLong();
    private final Reloads reloads;

    AdminEndpoints(Optional<String> token, Reloads reloads) {
        this.token = token.map(t -> t.getBytes(StandardCharsets.US_ASCII)).orElse(null);
        this.reloads = reloads;
    }

    Reply startReload(Call call) {
        authorize(call);
        try {
            Reloads.Started started = reloads.start("admin request " + call.requestId());
            Map<String, Object> body = describe(started.entry());
            body.put("statusUrl", RELOAD + "/" + started.entry().id());
            return new Reply(202, body, Map.of("Location", RELOAD + "/" + started.entry().id()));
        } catch (Reloads.Conflict e) {
            throw new ApiError(409, "reload in progress", "reload " + e.running.id() + " is under way (since "
                    + e.running.startedAt() + "); wait for it: GET " + RELOAD + "/" + e.running.id(),
                    Map.of("Location", RELOAD + "/" + e.running.id()));
        } catch (IllegalStateException e) {
            throw new ApiError(409, "nothing to reload", e.getMessage());
        }
    }

    Reply reloadStatus(Call call) {
        authorize(call);
        String id = call.pathParameter("id");
        Reloads.Entry entry = reloads.get(id).orElseThrow(() -> new ApiError(404, "no such reload", "no reload "
                + Text.printable(id) + " (the last " + Reloads.KEPT + " are kept)"));
        return Reply.ok(describe(entry));
    }

    static Map<String, Object> describe(Reloads.Entry entry) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", entry.state() != Reloads.State.FAILED);
        body.put("id", entry.id());
        body.put("state", entry.state().name().toLowerCase(Locale.ROOT));
        body.put("startedAt", ChatEndpoints.iso(entry.startedAt()));
        body.put("endedAt", entry.endedAt().map(ChatEndpoints::iso).orElse(null));
        body.put("tookMs", Reloads.age(entry).toMillis());
        entry.result().ifPresent(r -> {
            body.put("fromGeneration", r.fromGeneration());
            body.put("toGeneration", r.toGeneration());
            body.put("routers", r.routers().stream().map(Object::toString).toList());
        });
        entry.error().ifPresent(e -> body.put("error", e));
        return body;
    }

    /**
     * Compares in time that depends only on the length of what was given, never on where the first
     * differing byte is: {@link MessageDigest#isEqual} looks at every byte of {@code given}.
     */
    static boolean sameToken(byte[] given, byte[] expected) {
        return MessageDigest.isEqual(given, expected);
    }

    private void authorize(Call call) {
        if (token == null) {
            throw new ApiError(404, "not found", "the admin endpoints are disabled: this backend has no admin token"
                    + " (BackendConfig.adminToken; the launcher sets one per run)");
        }
        String header = call.header("Authorization").orElse("");
        byte[] given = header.regionMatches(true, 0, "Bearer ", 0, 7)
                ? header.substring(7).trim().getBytes(StandardCharsets.US_ASCII) : new byte[0];
        if (!sameToken(given, token)) {
            long now = System.nanoTime();
            long last = lastRefusalLog.get();
            if (last == Long.MIN_VALUE || now - last >= REFUSAL_LOG_INTERVAL_NANOS) { // at most one line a second
                if (lastRefusalLog.compareAndSet(last, now)) {
                    long more = unloggedRefusals.getAndSet(0);
                    LOG.warn("refused an admin request from {} (request id {}): {} bearer token{}", call.clientAddress(),
                            call.requestId(), given.length == 0 ? "no" : "a wrong",
                            more > 0 ? " (and " + more + " more refused since the last such line)" : "");
                } else {
                    unloggedRefusals.incrementAndGet();
                }
            } else {
                unloggedRefusals.incrementAndGet();
            }
            throw new ApiError(401, "unauthorized", "send Authorization: Bearer <token> with the backend's admin"
                    + " token (the launcher's run file names the file that holds it)",
                    Map.of("WWW-Authenticate", "Bearer realm=\"airouter\""));
        }
    }
}
