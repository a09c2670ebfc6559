package dev.airouter.session;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A conversation as stored: its id, when it was created and last written, and its messages, oldest
 * first. Immutable and thread-safe; a loaded session is a snapshot that later appends do not change.
 *
 * @param id the session id, following {@link SessionIds#RULE}
 * @param createdAt when the session was first written
 * @param updatedAt when it was last written (append or save)
 * @param messages the messages, oldest first, at most the configured history limit
 */
public record Session(String id, Instant createdAt, Instant updatedAt, List<ChatMessage> messages) {
    /**
     * Creates a session, validating the id and copying the messages.
     *
     * @throws InvalidSessionIdException if {@code id} breaks the {@link SessionIds} rules
     * @throws NullPointerException if a field or a message is {@code null}
     */
    public Session {
        SessionIds.requireValid(id);
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
        messages = List.copyOf(messages);
    }

    /**
     * Creates a session whose created and updated times are both {@code now}.
     *
     * @param id the session id
     * @param now the creation time
     * @param messages the messages, oldest first
     * @return the session
     * @throws InvalidSessionIdException if {@code id} breaks the {@link SessionIds} rules
     */
    public static Session of(String id, Instant now, List<ChatMessage> messages) {
        return new Session(id, now, now, messages);
    }
}
