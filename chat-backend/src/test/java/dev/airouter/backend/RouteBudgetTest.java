package dev.airouter.backend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.airouter.session.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Which stored messages go to the router: the newest that fit its limits by count and by bytes, oldest first. */
class RouteBudgetTest {
    private static final ObjectMapper JSON = new Json().mapper(); // the encoder the router client uses

    @Test
    void keepsEverythingUnderTheLimitsInOrder() {
        List<ChatMessage> stored = List.of(ChatMessage.user("one"), ChatMessage.assistant("two"), ChatMessage.user("three"));
        assertThat(RouteBudget.fit(stored, RouterLimits.ofDefaults(), "q", "s", null)).extracting(RouterClient.Turn::content)
                .containsExactly("one", "two", "three");
    }

    @Test
    void keepsOnlyTheNewestMessagesTheRouterCounts() {
        List<ChatMessage> stored = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            stored.add(ChatMessage.user("m" + i));
        }
        List<RouterClient.Turn> sent = RouteBudget.fit(stored, RouterLimits.ofDefaults(), "q", "s", null);
        assertThat(sent).hasSize(500);
        assertThat(sent.get(0).content()).isEqualTo("m100");
        assertThat(sent.get(499).content()).isEqualTo("m599");
        assertThat(RouteBudget.fit(stored, RouterLimits.ofDefaults().withMaxHistoryMessages(0), "q", "s", null)).isEmpty();
    }

    @Test
    void dropsTheOldestWhenTheBodyWouldBeTooLarge() {
        List<ChatMessage> stored = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            stored.add(ChatMessage.user(i + ":" + "x".repeat(1000)));
        }
        RouterLimits small = RouterLimits.ofDefaults().withMaxBodyBytes(4096); // room for three of them
        List<RouterClient.Turn> sent = RouteBudget.fit(stored, small, "q", "s", null);
        assertThat(sent).extracting(t -> t.content().substring(0, 2)).containsExactly("7:", "8:", "9:");
    }

    @Test
    void countsEscapesAndMultiByteCharactersAsTheyAreEncoded() {
        assertThat(RouteBudget.jsonBytes("abc")).isEqualTo(3);
        assertThat(RouteBudget.jsonBytes("\u0000\"")).isEqualTo(12);
        assertThat(RouteBudget.jsonBytes("é")).isEqualTo(2);
        assertThat(RouteBudget.jsonBytes("中")).isEqualTo(3);
        assertThat(RouteBudget.jsonBytes("😀")).isEqualTo(4);
        assertThat(RouteBudget.jsonBytes("\ud800")).isEqualTo(6);
    }

    /** The property that matters: whatever the text, the body really sent stays within the router's limit. */
    @Test
    void theEncodedRequestNeverExceedsTheRoutersBodyLimit() throws Exception {
        Random random = new Random(42);
        String[] mixed = {"a", "é", "中", "😀", "\n", "\"", "\\", "\u0001", "\u2028", " "};
        String[] emoji = {"😀", "🦀"};
        for (int round = 0; round < 60; round++) {
            String[] alphabet = round % 3 == 0 ? emoji : mixed; // emoji alone: no slack from over-counted escapes
            long limit = 4096 + random.nextInt(60_000);
            RouterLimits limits = RouterLimits.ofDefaults().withMaxBodyBytes(limit);
            int maxQuery = RouteBudget.maxQueryCodePoints(limits);
            String query = text(random, alphabet, 1 + random.nextInt(Math.max(1, maxQuery)));
            List<ChatMessage> stored = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                stored.add(i % 2 == 0 ? ChatMessage.user(text(random, alphabet, random.nextInt(400)))
                        : ChatMessage.assistant(text(random, alphabet, random.nextInt(400))));
            }
            String agent = "x".repeat(RouteBudget.MAX_AGENT_CHARS);
            List<RouterClient.Turn> history = RouteBudget.fit(stored, limits, query, "s".repeat(128), agent);
            ObjectNode body = JSON.createObjectNode().put("query", query).put("session_id", "s".repeat(128));
            history.forEach(t -> body.withArray("history").addObject().put("role", t.role()).put("content", t.content()));
            body.put("agent", agent);
            assertThat((long) JSON.writeValueAsBytes(body).length).as("round %d, limit %d", round, limit)
                    .isLessThanOrEqualTo(limit);
        }
    }

    @Test
    void theEstimateIsExactForTextThatNeedsNoEscapes() throws Exception {
        for (String text : List.of("plain ascii", "é中😀🦀 mixed", "😀".repeat(1000))) {
            ArrayNode one = JSON.createArrayNode().add(text);
            assertThat(RouteBudget.jsonBytes(text)).as(text).isEqualTo(JSON.writeValueAsBytes(one).length - 4);
        }
    }

    @Test
    void theLongestQueryLeavesRoomForTheEnvelope() throws Exception {
        String query = "\u0001".repeat(RouteBudget.maxQueryCodePoints(RouterLimits.ofDefaults()));
        ObjectNode body = JSON.createObjectNode().put("query", query).put("session_id", "s".repeat(128))
                .put("agent", "\u0001".repeat(RouteBudget.MAX_AGENT_CHARS));
        body.putArray("history");
        assertThat((long) JSON.writeValueAsBytes(body).length).isLessThanOrEqualTo(RouterLimits.ofDefaults().maxBodyBytes());
        assertThat(RouteBudget.maxQueryCodePoints(RouterLimits.ofDefaults())).isGreaterThan(10_000);
    }

    private static String text(Random random, String[] alphabet, int codePoints) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < codePoints; i++) {
            sb.append(alphabet[random.nextInt(alphabet.length)]);
        }
        return sb.toString();
    }
}
