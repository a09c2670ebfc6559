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
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two backends on one Redis serving one conversation in turn — each with the Redis store's
 * client-side cache — lose nothing, keep the order, and each sends its router every message the
 * other had acknowledged before the turn began (the router stand-in answers with the number of
 * history messages it received, and a digest of their contents).
 */
@ExtendWith({RedisExtension.class, NoLeftoverProcesses.class})
class TwoBackendsTest {
    @Test
    void aConversationServedAlternatelyByTwoBackendsLosesNothingAndEachSeesTheWholeHistory(RedisServer redis)
            throws Exception {
        converse(redis, 24);
    }

    /** The long run: 1,000 turns, about 20 s here, the last turns sending ~2,000 messages of history. */
    @Test
    void aThousandAlternatingTurnsLoseNothingKeepTheOrderAndEachTurnGetsTheWholeHistory(RedisServer redis)
            throws Exception {
        long start = System.nanoTime();
        converse(redis, 1000);
        System.out.printf("[two backends] 1000 alternating turns in %.1f s%n", (System.nanoTime() - start) / 1e9);
    }

    private static void converse(RedisServer redis, int turns) throws Exception {
        try (ChatBackend a = start(redis, turns); ChatBackend b = start(redis, turns)) {
            List<RawHttp> backends = List.of(RawHttp.to(a.url()), RawHttp.to(b.url()));
            String id = "two-backends-" + System.nanoTime();
            List<String> acknowledged = new ArrayList<>(); // every message of every turn answered 200, in order
            for (int turn = 0; turn < turns; turn++) {
                // the same backend twice now and then too, so that a cached history is used and then outdated
                RawHttp http = backends.get(turn % 3 == 2 ? (turn + 1) % 2 : turn % 2);
                RawHttp.Response r = http.postJson("/api/chat", toJson(Map.of("message", "turn " + turn, "sessionId", id)));
                assertThat(r.status()).as(r.text()).isEqualTo(200);
                JsonNode answer = json(r);
                assertThat(answer.path("message").asText()).as("turn %d: how many history messages the router got", turn)
                        .isEqualTo(2 * turn + " history messages");
                assertThat(answer.path("metadata").path("reasoning").asText())
                        .as("turn %d: the router got exactly the acknowledged messages, in order", turn)
                        .isEqualTo("history sha1 " + sha1(String.join("\n", acknowledged)));
                acknowledged.add("turn " + turn);
                acknowledged.add(answer.path("message").asText());
            }
            JsonNode messages = json(backends.get(0).get("/api/sessions/" + id)).path("messages");
            assertThat(messages).hasSize(2 * turns);
            for (int i = 0; i < messages.size(); i++) {
                assertThat(messages.get(i).path("content").asText()).as("stored message %d", i).isEqualTo(acknowledged.get(i));
            }
        }
    }

    private static String sha1(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static ChatBackend start(RedisServer redis, int turns) throws InterruptedException {
        int history = 2 * turns;
        return ChatBackend.create(TestBackends.base(0, 0).routerCommand(TestBackends.plainRouter(history))
                .routerLimits(RouterLimits.ofDefaults().withMaxHistoryMessages(history))
                .storeConfig(SessionStoreConfig.builder().redisUrl(redis.url()).historyLimit(history).build())
                .build()).start();
    }
}
