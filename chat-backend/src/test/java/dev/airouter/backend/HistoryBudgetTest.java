package dev.airouter.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.session.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which stored messages go to the router: the newest that fit, oldest first. */
class HistoryBudgetTest {

    @Test
    void keepsEverythingUnderTheBudgetInOrder() {
        List<ChatMessage> stored = List.of(ChatMessage.user("one"), ChatMessage.assistant("two"), ChatMessage.user("three"));
        assertThat(HistoryBudget.fit(stored, 10_000)).extracting(RouterClient.Turn::content)
                .containsExactly("one", "two", "three");
    }

    @Test
    void dropsTheOldestWhenOverTheBudget() {
        List<ChatMessage> stored = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            stored.add(ChatMessage.user(i + ":" + "x".repeat(1000)));
        }
        List<RouterClient.Turn> sent = HistoryBudget.fit(stored, 3 * 1100);
        assertThat(sent).extracting(t -> t.content().substring(0, 2)).containsExactly("7:", "8:", "9:");
    }

    @Test
    void countsEscapesAndMultiByteCharactersAsTheyAreEncoded() {
        assertThat(HistoryBudget.jsonBytes("abc")).isEqualTo(3);
        assertThat(HistoryBudget.jsonBytes("\u0000\"")).isEqualTo(12);
        assertThat(HistoryBudget.jsonBytes("é")).isEqualTo(2);
        assertThat(HistoryBudget.jsonBytes("中")).isEqualTo(3);
        assertThat(HistoryBudget.jsonBytes("😀")).isGreaterThanOrEqualTo(4);
    }

    @Test
    void largestPossibleRequestStaysUnderTheRoutersBodyLimit() {
        long query = 8000L * 6; // every character escaped as \\uXXXX
        assertThat(HistoryBudget.DEFAULT_BYTES + query + 200).isLessThan(1024 * 1024);
    }
}
