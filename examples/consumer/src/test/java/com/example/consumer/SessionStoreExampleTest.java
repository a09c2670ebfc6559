package com.example.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.airouter.session.ChatMessage;
import dev.airouter.session.Session;
import dev.airouter.session.SessionIds;
import dev.airouter.session.SessionStore;
import dev.airouter.session.SessionStoreConfig;
import dev.airouter.session.SessionStores;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** README "Use it from your build": the session-store example on the in-memory store. */
class SessionStoreExampleTest {

    @Test
    void storesAConversationInMemory() {
        // --- README snippet ---
        SessionStoreConfig config = SessionStoreConfig.builder()
                .redisUrl("none")                                  // in memory; "redis://host:6379" for Redis
                .ttl(Duration.ofMinutes(30)).historyLimit(20).build();
        try (SessionStore store = SessionStores.open(config)) {
            String sessionId = SessionIds.random();
            int historyLength = store.append(sessionId, ChatMessage.user("What is 2 + 2?"),
                    ChatMessage.assistant("4").withMetadata(Map.of("agent", "math", "confidence", 0.97)));
            List<ChatMessage> history = store.load(sessionId).map(Session::messages).orElse(List.of());
            // --- end of snippet ---
            assertEquals("memory", store.backend());
            assertEquals(2, historyLength);
            assertEquals(List.of("What is 2 + 2?", "4"), history.stream().map(ChatMessage::content).toList());
        }
    }
}
