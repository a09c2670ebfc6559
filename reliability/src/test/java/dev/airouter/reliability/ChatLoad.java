package dev.airouter.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airouter.testing.HttpConnection;
import dev.airouter.testing.RawHttp;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * Closed-loop chat clients, each paced to a fixed rate (it never bursts to catch up after a slow
 * answer): conversations of random length (some long), recall questions checked against what was
 * said, and — in the soak mix — bad requests whose exact 4xx is checked, and reads of the client's
 * own session. Every chat outcome goes into the {@link Ledger}; every answer into the
 * {@link Figures}.
 */
final class ChatLoad implements AutoCloseable {
    /**
     * @param badRequests mix in bad requests (~8 %) and session reads (~2 %)
     * @param serverAssignedIds start half the conversations without a session id (the backend picks one)
     * @param allowedChatStatuses chat answers that are not "unexpected" (200 always is)
     */
    record Mix(boolean badRequests, boolean serverAssignedIds, Set<Integer> allowedChatStatuses) {
        static Mix soak() {
            return new Mix(true, true, Set.of(200));
        }

        static Mix faults(Integer... allowed) {
            return new Mix(false, false, Set.of(allowed));
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI backend;
    private final Ledger ledger;
    private final Figures figures;
    private final Mix mix;
    private final double ratePerClient;
    private final long seed;
    private final String runName;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running;

    ChatLoad(String runName, URI backend, Ledger ledger, Figures figures, Mix mix, int clients, double ratePerClient,
            long seed) {
        this.runName = runName;
        this.backend = backend;
        this.ledger = ledger;
        this.figures = figures;
        this.mix = mix;
        this.ratePerClient = ratePerClient;
        this.seed = seed;
        for (int i = 0; i < clients; i++) {
            int n = i;
            threads.add(new Thread(() -> client(n), "load-" + runName + "-" + n));
        }
    }

    ChatLoad start() {
        running = true;
        threads.forEach(Thread::start);
        return this;
    }

    /** Stops the clients after their current request and waits for them (the interrupt flag is kept). */
    @Override
    public void close() {
        running = false;
        try {
            for (Thread t : threads) {
                t.join(Duration.ofSeconds(60).toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void client(int n) {
        Random random = new Random(seed * 31 + n);
        long interval = (long) (1e9 / ratePerClient);
        long next = System.nanoTime() + (long) (random.nextDouble() * interval); // spread the clients out
        Ledger.Conversation conversation = null;
        int target = 0;
        int conversations = 0;
        try (HttpConnection http = RawHttp.keepAlive(backend, Duration.ofSeconds(60))) {
            while (running) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                    continue;
                }
                next = Math.max(next + interval, System.nanoTime() - interval);
                if (conversation == null || conversation.size() >= target) {
                    String key = runName + "-c" + n + "-" + conversations++;
                    boolean assigned = mix.serverAssignedIds() && random.nextBoolean();
                    conversation = ledger.open(key, assigned ? null : key + "-" + Long.toHexString(random.nextLong()));
                    target = random.nextInt(100) < 25 ? 30 + random.nextInt(31) : 1 + random.nextInt(10);
                }
                double r = random.nextDouble();
                if (mix.badRequests() && r < 0.08) {
                    badRequest(http, random, conversation);
                } else if (mix.badRequests() && r < 0.10 && conversation.sessionId != null) {
                    readSession(http, conversation);
                } else {
                    boolean recall = conversation.size() > 0 && random.nextInt(100) < 15;
                    if (!chat(http, conversation, recall)) {
                        conversation = null; // no session id to continue with
                    }
                }
            }
        }
    }

    /** @return false when the conversation has no session id after this turn */
    private boolean chat(HttpConnection http, Ledger.Conversation c, boolean recall) {
        int index = c.add(recall);
        String text = c.text(index);
        String previous = recall ? c.previousIfAcked(index) : null;
        String id = c.sessionId;
        String body = "{\"message\":\"" + text + "\"" + (id == null ? "" : ",\"sessionId\":\"" + id + "\"") + "}";
        long start = System.nanoTime();
        try {
            RawHttp.Response r = http.postJson("/api/chat", body);
            figures.chat(r.status(), start, r.nanos());
            if (r.status() == 200) {
                JsonNode answer = JSON.readTree(r.body());
                if (id == null) {
                    c.sessionId = answer.path("sessionId").asText(null);
                }
                c.outcome(index, Ledger.ACKED);
                if (previous != null) {
                    boolean routed = "conversation-recall".equals(answer.path("metadata").path("agent").asText());
                    figures.recall(routed);
                    String message = answer.path("message").asText();
                    if (routed && !message.contains(previous)) {
                        figures.unexpected("recall in " + c.key + " answered \"" + message + "\", expected a quote of \""
                                + previous + "\"");
                    }
                }
            } else {
                c.outcome(index, Ledger.REFUSED);
                if (!mix.allowedChatStatuses().contains(r.status())) {
                    figures.unexpected("POST /api/chat " + body + " → " + r.status() + " " + r.text());
                }
            }
        } catch (IOException e) {
            c.outcome(index, Ledger.UNKNOWN);
            figures.transportError("POST /api/chat " + body + " → " + e);
        }
        return c.sessionId != null;
    }

    private void readSession(HttpConnection http, Ledger.Conversation c) {
        int acked = c.acked();
        try {
            RawHttp.Response r = http.get("/api/sessions/" + c.sessionId);
            figures.status(r.status());
            if (r.status() != 200 && !(r.status() == 404 && acked == 0)) {
                figures.unexpected("GET /api/sessions/" + c.sessionId + " → " + r.status() + " " + r.text());
                return;
            }
            if (r.status() == 200) {
                int users = 0;
                for (JsonNode m : JSON.readTree(r.body()).path("messages")) {
                    users += "user".equals(m.path("role").asText()) ? 1 : 0;
                }
                if (users < acked) {
                    figures.unexpected("GET /api/sessions/" + c.sessionId + " has " + users + " user messages, "
                            + acked + " were acknowledged");
                }
            }
        } catch (IOException e) {
            figures.transportError("GET /api/sessions/" + c.sessionId + " → " + e);
        }
    }

    /** One request a client gets wrong, and the one status it must get. */
    private record Bad(String method, String path, String contentType, String body, int expected) {}

    private void badRequest(HttpConnection http, Random random, Ledger.Conversation c) {
        String id = c.sessionId;
        String withId = id == null ? "" : ",\"sessionId\":\"" + id + "\"";
        Bad bad;
        switch (random.nextInt(11)) {
            case 0: bad = new Bad("POST", "/api/chat", "application/json", "{\"message\": \"hi\"", 400); break;
            case 1: bad = new Bad("POST", "/api/chat", "application/json", "{\"message\":\"   \"" + withId + "}", 400); break;
            case 2: bad = new Bad("POST", "/api/chat", "application/json", "{\"message\":\"\"" + withId + "}", 400); break;
            case 3: bad = new Bad("POST", "/api/chat", "application/json",
                    "{\"message\":\"hello\",\"sessionId\":\"../../etc/passwd\"}", 400); break;
            case 4: bad = new Bad("PUT", "/api/chat", "application/json", "{\"message\":\"hello\"}", 405); break;
            case 5: bad = new Bad("GET", "/api/chat", null, null, 405); break;
            case 6: bad = new Bad("GET", "/api/nothing-here", null, null, 404); break;
            case 7: bad = new Bad("POST", "/api/chat", "text/plain", "{\"message\":\"hello\"" + withId + "}", 415); break;
            case 8: bad = new Bad("POST", "/api/chat", "application/json", "{\"message\":42" + withId + "}", 400); break;
            case 9: bad = new Bad("GET", "/api/sessions/bad!id", null, null, 400); break;
            default: bad = new Bad("POST", "/api/chat", "application/json",
                    "{\"message\":\"" + "x".repeat(8001) + "\"" + withId + "}", 400); break;
        }
        try {
            RawHttp.Response r = http.send(bad.method(), bad.path(),
                    bad.contentType() == null ? Map.of() : Map.of("Content-Type", bad.contentType()),
                    bad.body() == null ? null : bad.body().getBytes(StandardCharsets.UTF_8));
            figures.status(r.status());
            if (r.status() != bad.expected()) {
                String shown = bad.body() == null ? "" : bad.body().length() > 80 ? bad.body().substring(0, 80) + "…" : bad.body();
                figures.unexpected(bad.method() + " " + bad.path() + " " + shown + " → " + r.status()
                        + " (expected " + bad.expected() + ") " + r.text());
            }
        } catch (IOException e) {
            figures.transportError(bad.method() + " " + bad.path() + " → " + e);
        }
    }
}
