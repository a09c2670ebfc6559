package dev.airouter.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.airouter.testing.HttpConnection;
import dev.airouter.testing.RawHttp;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What every load client sent and what it was told, per conversation, compact enough that it does
 * not distort the heap figures of the soak: a message's text is a function of its conversation key
 * and sequence number, so only one outcome byte per message is kept.
 *
 * <p>{@link #verify} reads each conversation back ({@code GET /api/sessions/{id}}) and checks that
 * every acknowledged (200) user message is there exactly once and in order, every unacknowledged
 * one at most once, nothing else (no empty or rejected message), and each user message is followed by
 * the assistant's reply.
 */
final class Ledger {
    static final String RECALL = "What did I just say?";
    private static final String[] WORDS = {"apples", "harbour", "violet", "granite", "tulips", "comet", "ferry",
        "walnut", "meadow", "copper", "lantern", "pebble", "orchid", "saffron", "glacier", "thimble"};

    static final byte PENDING = 0;
    static final byte ACKED = 1;
    static final byte REFUSED = 2; // a non-200 answer: not stored, or stored without our knowing (at most once)
    static final byte UNKNOWN = 3; // no answer at all (connection failed or timed out)
    private static final byte RECALL_FLAG = 4;

    private final ConcurrentLinkedQueue<Conversation> conversations = new ConcurrentLinkedQueue<>();

    /** One conversation, driven by one client thread at a time. */
    static final class Conversation {
        final String key;
        volatile String sessionId;
        private byte[] entries = new byte[8];
        private int size;

        Conversation(String key, String sessionId) {
            this.key = key;
            this.sessionId = sessionId;
        }

        /** @return the index of the new message */
        synchronized int add(boolean recall) {
            if (size == entries.length) {
                entries = Arrays.copyOf(entries, size * 2);
            }
            entries[size] = recall ? RECALL_FLAG : 0;
            return size++;
        }

        synchronized void outcome(int index, byte outcome) {
            entries[index] = (byte) ((entries[index] & RECALL_FLAG) | outcome);
        }

        synchronized int size() {
            return size;
        }

        synchronized boolean isRecall(int index) {
            return (entries[index] & RECALL_FLAG) != 0;
        }

        synchronized byte outcomeOf(int index) {
            return (byte) (entries[index] & 3);
        }

        String text(int index) {
            return isRecall(index) ? RECALL : note(key, index);
        }

        /** @return the text of the latest acknowledged message before {@code index}, if the one right before was acknowledged */
        synchronized String previousIfAcked(int index) {
            if (index == 0) {
                return null;
            }
            return (entries[index - 1] & 3) == ACKED ? text(index - 1) : null;
        }

        synchronized int acked() {
            int n = 0;
            for (int i = 0; i < size; i++) {
                n += (entries[i] & 3) == ACKED ? 1 : 0;
            }
            return n;
        }
    }

    static String note(String key, int index) {
        return "Note " + key + "/" + index + ": " + WORDS[Math.floorMod(index * 7 + key.hashCode(), WORDS.length)]
                + " and " + WORDS[Math.floorMod(index * 3 + 1, WORDS.length)];
    }

    Conversation open(String key, String sessionId) {
        Conversation c = new Conversation(key, sessionId);
        conversations.add(c);
        return c;
    }

    /** Totals for the report. */
    record Summary(int conversations, int verified, int unverifiable, long acked, long refused, long unknown,
            List<String> problems) {
        boolean ok() {
            return problems.isEmpty();
        }
    }

    /**
     * Reads every conversation back and checks it. Conversations whose first message got no session
     * id back (it failed) cannot be read and count as unverifiable.
     */
    Summary verify(URI backend) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        List<String> problems = new ArrayList<>();
        int verified = 0;
        int unverifiable = 0;
        long acked = 0;
        long refused = 0;
        long unknown = 0;
        try (HttpConnection http = RawHttp.keepAlive(backend, Duration.ofSeconds(30))) {
            for (Conversation c : conversations) {
                int size = c.size();
                for (int i = 0; i < size; i++) {
                    byte o = c.outcomeOf(i);
                    acked += o == ACKED ? 1 : 0;
                    refused += o == REFUSED ? 1 : 0;
                    unknown += o == UNKNOWN || o == PENDING ? 1 : 0;
                }
                if (c.sessionId == null) {
                    unverifiable++;
                    if (c.acked() > 0) {
                        problems.add(c.key + ": acknowledged messages but no session id");
                    }
                    continue;
                }
                RawHttp.Response r = http.get("/api/sessions/" + c.sessionId);
                if (r.status() == 404 && c.acked() == 0) {
                    verified++;
                    continue;
                }
                if (r.status() != 200) {
                    problems.add(c.key + " (" + c.sessionId + "): GET answered " + r.status() + " " + r.text());
                    continue;
                }
                check(c, size, mapper.readTree(r.body()), problems);
                verified++;
                if (problems.size() > 50) {
                    problems.add("… stopped after 50 problems");
                    break;
                }
            }
        }
        return new Summary(conversations.size(), verified, unverifiable, acked, refused, unknown, problems);
    }

    private static void check(Conversation c, int size, JsonNode session, List<String> problems) {
        List<String> users = new ArrayList<>();
        JsonNode messages = session.path("messages");
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            if ("user".equals(m.path("role").asText())) {
                users.add(m.path("content").asText());
                JsonNode next = i + 1 < messages.size() ? messages.get(i + 1) : null;
                if (next == null || !"assistant".equals(next.path("role").asText())) {
                    problems.add(c.key + " (" + c.sessionId + "): user message #" + users.size()
                            + " is not followed by an assistant reply");
                }
            }
        }
        Map<String, Integer> seen = new HashMap<>();
        for (String u : users) {
            seen.merge(u, 1, Integer::sum);
        }
        int ackedRecalls = 0;
        int otherRecalls = 0;
        List<Integer> expectedOrder = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            byte o = c.outcomeOf(i);
            if (c.isRecall(i)) {
                if (o == ACKED) {
                    ackedRecalls++;
                } else {
                    otherRecalls++;
                }
                continue;
            }
            String text = note(c.key, i);
            int n = seen.getOrDefault(text, 0);
            if (o == ACKED && n != 1) {
                problems.add(c.key + " (" + c.sessionId + "): acknowledged message " + i + " is stored " + n
                        + " times: " + text);
            } else if (o != ACKED && n > 1) {
                problems.add(c.key + " (" + c.sessionId + "): unacknowledged message " + i + " is stored " + n
                        + " times: " + text);
            }
            if (n > 0) {
                expectedOrder.add(i);
            }
            seen.remove(text);
        }
        int recalls = seen.getOrDefault(RECALL, 0);
        seen.remove(RECALL);
        if (recalls < ackedRecalls || recalls > ackedRecalls + otherRecalls) {
            problems.add(c.key + " (" + c.sessionId + "): " + recalls + " recall questions stored, "
                    + ackedRecalls + " acknowledged and " + otherRecalls + " not");
        }
        if (!seen.isEmpty()) {
            problems.add(c.key + " (" + c.sessionId + "): messages nobody sent successfully: " + seen.keySet());
        }
        List<Integer> actualOrder = new ArrayList<>();
        for (String u : users) {
            if (!u.equals(RECALL) && u.startsWith("Note " + c.key + "/")) {
                actualOrder.add(Integer.parseInt(u.substring(("Note " + c.key + "/").length(), u.indexOf(':'))));
            }
        }
        if (!actualOrder.equals(expectedOrder) && problems.stream().noneMatch(p -> p.startsWith(c.key + " "))) {
            problems.add(c.key + " (" + c.sessionId + "): order " + actualOrder + ", sent " + expectedOrder);
        }
    }
}
