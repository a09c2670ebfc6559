package dev.airouter.session;

import java.util.List;

/** The tail of a session, as {@link SessionStore#load(String, int)} returns it; stateless. */
final class SessionTails {
    private SessionTails() {}

    /** Returns {@code lastN}, or throws the {@link IllegalArgumentException} the SPI documents. */
    static int requireLastN(int lastN) {
        if (lastN < 0) {
            throw new IllegalArgumentException("lastN must be at least 0, got " + lastN);
        }
        return lastN;
    }

    /**
     * {@code session} with only its newest {@code lastN} messages. The session itself when it holds no
     * more, since sessions are immutable; otherwise a new one that copies just the tail.
     */
    static Session newest(Session session, int lastN) {
        List<ChatMessage> messages = session.messages();
        if (messages.size() <= lastN) {
            return session;
        }
        return new Session(session.id(), session.createdAt(), session.updatedAt(),
                messages.subList(messages.size() - lastN, messages.size()));
    }
}
