package dev.airouter.session;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a load script's reply ({@code {flat meta hash, message JSON list}}, the whole list or its tail)
 * into a {@link Session}.
 *
 * <p>Parsed messages are kept in a small bounded cache keyed by their exact JSON text: every chat
 * turn loads the same history (or the same tail of it) again, and parsing 20 messages with Jackson
 * costs more CPU than the Redis round trip around it. Keying by text rather than by position is what
 * lets a tail load reuse messages parsed by a full load, an append or a tail of another length. Safe
 * because a JSON text always parses to the same immutable message.
 * Messages this store writes go into the cache as they are written ({@link #remember}), so the next
 * load of a conversation parses nothing it appended itself; only messages that parse back to an equal
 * message are put in that way.
 * The cache holds at most {@value #PARSED_CACHE_SIZE} messages (a few MB at most) and is private to
 * the store: the 20-message histories of about 200 busy conversations, but the 500-message tails of
 * only eight, so with long tails more of each load is parsed. Thread-safe.
 */
final class RedisSessionDecoder {
    static final int PARSED_CACHE_SIZE = 4096;

    private final Cache<String, ChatMessage> parsed =
            Caffeine.newBuilder().maximumSize(PARSED_CACHE_SIZE).executor(Runnable::run).build();

    Session decode(String id, List<Object> reply) {
        List<?> meta = (List<?>) reply.get(0);
        String created = null;
        String updated = null;
        int version = SessionJson.FORMAT_VERSION;
        for (int i = 0; i + 1 < meta.size(); i += 2) {
            String field = (String) meta.get(i);
            String value = (String) meta.get(i + 1);
            if (field.equals("created")) {
                created = value;
            } else if (field.equals("updated")) {
                updated = value;
            } else if (field.equals("v")) {
                version = SessionJson.readVersion(id, value);
            }
        }
        SessionJson.checkVersion(id, version);
        List<?> jsons = (List<?>) reply.get(1);
        List<ChatMessage> messages = new ArrayList<>(jsons.size());
        for (Object json : jsons) {
            messages.add(parsed.get((String) json, text -> SessionJson.read(id, text)));
        }
        return new Session(id, SessionJson.readInstant(id, "created", created),
                SessionJson.readInstant(id, "updated", updated), messages);
    }

    /**
     * Caches a message this store has just written as {@code json} (= {@code SessionJson.write(message)}),
     * unless parsing {@code json} would give back a different message: metadata numbers other than
     * {@code Integer} and {@code Double} come back as another type (a {@code Long} 5 as an
     * {@code Integer}), so such a message is left to be parsed when loaded.
     */
    void remember(String json, ChatMessage message) {
        for (Object value : message.metadata().values()) {
            if (value instanceof Number && !(value instanceof Integer || value instanceof Double)) {
                return;
            }
        }
        parsed.put(json, message);
    }

    void clear() {
        parsed.invalidateAll();
    }
}
