package dev.airouter.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The README's example, compiled and run (against memory, so it needs no Redis), and its facts. */
class ReadmeExamplesTest {

    @Test
    void readmesQuoteTheSessionIdRuleAsTheCodeWritesIt() throws IOException {
        for (Path readme : List.of(Path.of("README.md"), Path.of("..", "README.md"))) {
            assertThat(Files.readString(readme)).as(readme.toString()).contains("`" + SessionIds.RULE + "`");
        }
    }

    @Test
    void readmeExample() {
        // --- README example start
        SessionStoreConfig config = SessionStoreConfig.builder()
                .redisUrl(System.getenv().getOrDefault("AIROUTER_TEST_REDIS_URL", "none")) // e.g. REDIS_URL
                .ttl(Duration.ofMinutes(30))
                .historyLimit(20)
                .build();
        try (SessionStore store = SessionStores.open(config)) {   // Redis if reachable, else memory
            String sessionId = SessionIds.random();
            List<ChatMessage> history = store.load(sessionId, 500).map(Session::messages).orElse(List.of()); // newest 500
            ChatMessage question = ChatMessage.user("What is 2 + 2?");
            ChatMessage answer = ChatMessage.assistant("4").withMetadata(Map.of("agent", "math", "confidence", 0.97));
            int historyLength = store.append(sessionId, question, answer); // atomic, idempotent by message id
            // --- README example end
            assertThat(history).isEmpty();
            assertThat(historyLength).isEqualTo(2);
        }
    }
}
