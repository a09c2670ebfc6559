package dev.airouter.session;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * The stored JSON form of a {@link ChatMessage}, one object per message:
 * <pre>{"v":1,"id":"…","role":"user","content":"…","ts":"2026-11-25T18:47:44.123Z","meta":{…}}</pre>
 *
 * <p>{@code v} is the format version. Readers accept every version up to {@link #FORMAT_VERSION} and
 * ignore fields they do not know, so a later version may add fields without breaking older readers;
 * data with a higher version is refused rather than misread. Timestamps are ISO-8601 UTC strings.
 * Thread-safe (one shared, configured-once mapper).
 */
final class SessionJson {
    static final int FORMAT_VERSION = 1;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
            .build();

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    record StoredMessage(Integer v, String id, String role, String content, Instant ts, Map<String, Object> meta) {}

    private static final ObjectReader READER = MAPPER.readerFor(StoredMessage.class);
    private static final ObjectWriter WRITER = MAPPER.writerFor(StoredMessage.class);

    private SessionJson() {}

    static String write(ChatMessage message) {
        try {
            return WRITER.writeValueAsString(new StoredMessage(FORMAT_VERSION, message.id(), message.role(),
                    message.content(), message.timestamp(), message.metadata()));
        } catch (JsonProcessingException e) {
            throw new SessionStoreException("cannot write message " + message.id() + " as JSON", e);
        }
    }

    static ChatMessage read(String sessionId, String json) {
        StoredMessage stored;
        try {
            stored = READER.readValue(json);
        } catch (JsonProcessingException e) {
            throw new SessionStoreException("session " + sessionId + " holds a message that is not valid JSON: "
                    + e.getOriginalMessage(), e);
        }
        checkVersion(sessionId, stored.v() == null ? FORMAT_VERSION : stored.v());
        try {
            return new ChatMessage(stored.id(), stored.role(), stored.content() == null ? "" : stored.content(),
                    stored.ts(), stored.meta() == null ? Map.of() : stored.meta());
        } catch (RuntimeException e) {
            throw new SessionStoreException("session " + sessionId + " holds an invalid message: " + e.getMessage(), e);
        }
    }

    static void checkVersion(String sessionId, int version) {
        if (version > FORMAT_VERSION) {
            throw new SessionStoreException("session " + sessionId + " was written in format version " + version
                    + ", this library reads up to " + FORMAT_VERSION + "; upgrade session-store");
        }
    }

    static int readVersion(String sessionId, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new SessionStoreException("session " + sessionId + " has an invalid format version: " + value, e);
        }
    }

    static Instant readInstant(String sessionId, String field, String value) {
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException | NullPointerException e) {
            throw new SessionStoreException("session " + sessionId + " has an invalid " + field + " time: " + value, e);
        }
    }
}
