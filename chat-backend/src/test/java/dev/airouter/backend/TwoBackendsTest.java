package dev.airouter.backend;

import static dev.airouter.backend.TestJson.json;
import static dev.airouter.backend.TestJson.toJson;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.airouter.session.SessionStoreConfig;
import dev.airouter.testing.NoLeftoverProcesses;
import dev.airouter.testing.RawHttp;
import dev.airouter.testing.RedisExtension;
import dev.airouter.testing.RedisServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two backends on one Redis serving one conversation in turn — each with the Redis store's
 * client-side cache — lose nothing, keep the order, and each sends its router every message the
 * other had acknowledged before the turn began (the router stand-in answers with the number of
 * history messages it received).
 */
@ExtendWith({RedisExtension.class, NoLeftoverProcesses.class})
class TwoBackendsTest {
    private static final int TURNS = 24;

    @Test
    void aConversationServedAlternatelyByTwoBackendsLosesNothingAndEachSeesTheWholeHistory(RedisServer redis)
            throws InterruptedException {
        try (ChatBackend a = start(redis); ChatBackend b = start(redis)) {
            List<RawHttp> backends = List.of(RawHttp.to(a.url()), RawHttp.to(b.url()));
            String id = "two-backends-" + System.nanoTime();
            for (int turn = 0; turn < TURNS; turn++) {
                // the same backend twice now and then too, so that a cached history is used and then outdated
                RawHttp http = backends.get(turn % 3 == 2 ? (turn + 1) % 2 : turn % 2);
                RawHttp.Response r = http.postJson("/api/chat", toJson(Map.of("message", "turn " + turn, "sessionId", id)));
                assertThat(r.status()).as(r.text()).isEqualTo(200);
                assertThat(json(r).path("message").asText()).as("turn %d: the router's history", turn)
                        .isEqualTo(2 * turn + " history messages");
            }
            JsonNode messages = json(backends.get(0).get("/api/sessions/" + id)).path("messages");
            assertThat(messages).hasSize(2 * TURNS);
            for (int turn = 0; turn < TURNS; turn++) {
                assertThat(messages.get(2 * turn).path("content").asText()).isEqualTo("turn " + turn);
                assertThat(messages.get(2 * turn + 1).path("content").asText()).isEqualTo(2 * turn + " history messages");
            }
        }
    }

    private static ChatBackend start(RedisServer redis) throws InterruptedException {
        return ChatBackend.create(TestBackends.base(0, 0).routerCommand(TestBackends.plainRouter(200))
                .storeConfig(SessionStoreConfig.builder().redisUrl(redis.url()).historyLimit(200).build())
                .build()).start();
    }
}
