package dev.airouter.session;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * One message of a conversation: who said it, what, when, and optional metadata such as the agent
 * that answered and its confidence. Immutable and thread-safe.
 *
 * <p>The {@code id} makes appends idempotent: a store keeps at most one message per id in a session,
 * so retrying an append after a timeout never duplicates it. The factories pick a random UUID.
 *
 * <p>Metadata values must be {@code String}, {@code Boolean} or a {@code Number}; they are stored as
 * JSON, so numbers come back as {@code Integer}, {@code Long} or {@code Double} depending on their
 * value. Iteration order of the metadata is kept.
 *
 * @param id unique message id, 1–128 characters
 * @param role who wrote it, e.g. {@link #USER} or {@link #ASSISTANT}; 1–32 characters
 * @param content the text, may be empty; any Unicode, including NUL and emoji
 * @param timestamp when it was written
 * @param metadata extra data, possibly empty, never {@code null}
 */
public record ChatMessage(String id, String role, String content, Instant timestamp, Map<String, Object> metadata) {
    /** The role of a message typed by the person chatting. */
    public static final String USER = "user";
    /** The role of a reply from the router. */
    public static final String ASSISTANT = "assistant";
    /** The role of an instruction that is not shown as chat. */
    public static final String SYSTEM = "system";

    /**
     * Creates a message, validating and copying its fields.
     *
     * @throws NullPointerException if a field or a metadata key or value is {@code null}
     * @throws IllegalArgumentException if the id or role is empty or too long, or a metadata value is
     *     not a {@code String}, {@code Boolean} or finite {@code Number}
     */
    public ChatMessage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(metadata, "metadata");
        if (id.isEmpty() || id.length() > 128) {
            throw new IllegalArgumentException("message id must have 1-128 characters, got " + id.length());
        }
        if (role.isBlank() || role.length() > 32) {
            throw new IllegalArgumentException("role must have 1-32 non-blank characters, got \"" + role + "\"");
        }
        metadata = metadata.isEmpty() ? Map.of() : copyMetadata(metadata);
    }

    private static Map<String, Object> copyMetadata(Map<String, Object> metadata) {
        Map<String, Object> copy = new LinkedHashMap<>();
        metadata.forEach((key, value) -> {
            Objects.requireNonNull(key, "metadata key");
            Objects.requireNonNull(value, () -> "metadata value of " + key);
            if (!(value instanceof String || value instanceof Boolean || value instanceof Number)) {
                throw new IllegalArgumentException("metadata value of " + key + " must be a String, Boolean or"
                        + " Number, got " + value.getClass().getName());
            }
            if ((value instanceof Double && !Double.isFinite((Double) value))
                    || (value instanceof Float && !Float.isFinite((Float) value))) {
                throw new IllegalArgumentException("metadata value of " + key + " must be finite, got " + value);
            }
            copy.put(key, value);
        });
        return Collections.unmodifiableMap(copy);
    }

    /**
     * Creates a message with a random id, the current time and no metadata.
     *
     * @param role who wrote it, e.g. {@link #USER}
     * @param content the text
     * @return the message
     */
    public static ChatMessage of(String role, String content) {
        return new ChatMessage(UUID.randomUUID().toString(), role, content, Instant.now(), Map.of());
    }

    /**
     * Creates a {@link #USER} message with a random id and the current time.
     *
     * @param content the text
     * @return the message
     */
    public static ChatMessage user(String content) {
        return of(USER, content);
    }

    /**
     * Creates an {@link #ASSISTANT} message with a random id and the current time.
     *
     * @param content the text
     * @return the message
     */
    public static ChatMessage assistant(String content) {
        return of(ASSISTANT, content);
    }

    /**
     * Returns a copy with these metadata entries instead of the current ones.
     *
     * @param newMetadata e.g. {@code Map.of("agent", "math", "confidence", 0.93)}
     * @return the new message, with the same id
     */
    public ChatMessage withMetadata(Map<String, Object> newMetadata) {
        return new ChatMessage(id, role, content, timestamp, newMetadata);
    }
}
