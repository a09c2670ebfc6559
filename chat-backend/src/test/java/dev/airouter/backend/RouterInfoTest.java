package dev.airouter.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Reading a router's health answer: advertised limits and agents, and what a bad advertisement degrades to. */
class RouterInfoTest {
    private static final RouterLimits ASSUMED = new RouterLimits(40, 2000, 100_000);
    private final List<String> warnings = new ArrayList<>();

    private RouterInfo parse(String body) {
        return RouterInfo.parse(body, ASSUMED, new Json().mapper(), warnings::add);
    }

    @Test
    void readsTheBundledRoutersAdvertisement() {
        RouterInfo info = parse("{\"status\":\"ok\",\"service\":\"ai-router\",\"agents\":2,\"limits\":"
                + "{\"max_history_messages\":500,\"max_query_chars\":10000,\"max_body_bytes\":1048576},"
                + "\"agent_names\":[\"general-chat\",\"calculator\"]}");
        assertThat(info.limits()).isEqualTo(RouterLimits.ofDefaults());
        assertThat(info.advertised()).isTrue();
        assertThat(info.agents()).contains(Set.of("general-chat", "calculator"));
        assertThat(List.copyOf(info.agents().get())).containsExactly("general-chat", "calculator");
        assertThat(warnings).isEmpty();
    }

    @Test
    void aRouterThatAdvertisesNothingGetsTheAssumption() {
        for (String body : List.of("{\"status\":\"ok\"}", "not json", "[]", "")) {
            RouterInfo info = parse(body);
            assertThat(info.limits()).as(body).isEqualTo(ASSUMED);
            assertThat(info.advertised()).isFalse();
            assertThat(info.agents()).isEmpty();
        }
        assertThat(warnings).isEmpty();
    }

    @Test
    void neverAssumesMoreThanTheRouterSays() {
        RouterInfo info = parse("{\"limits\":{\"max_history_messages\":-3,\"max_query_chars\":\"many\","
                + "\"max_body_bytes\":2048}}");
        assertThat(info.limits()).isEqualTo(new RouterLimits(0, 2000, 2048));
        assertThat(warnings).hasSize(2);
        assertThat(warnings.get(0)).contains("limits.max_history_messages = -3, outside 0-100000; using 0");
        assertThat(warnings.get(1)).contains("limits.max_query_chars = \"many\", which is not a whole number");
        RouterInfo huge = parse("{\"limits\":{\"max_history_messages\":99999999999999999999999}}");
        assertThat(huge.limits().maxHistoryMessages()).isEqualTo(100_000);
    }

    @Test
    void aBodyLimitTooSmallForAnyMessageLeavesNoMessageLength() {
        RouterInfo info = parse("{\"limits\":{\"max_body_bytes\":100}}");
        assertThat(info.maxMessageCodePoints(8000)).isZero();
    }

    @Test
    void theMessageLimitIsTheSmallestOfConfigQueryLimitAndWhatTheBodyLeavesRoomFor() {
        RouterInfo roomy = new RouterInfo(RouterLimits.ofDefaults(), true, Optional.empty());
        assertThat(roomy.maxMessageCodePoints(8000)).isEqualTo(8000);
        assertThat(roomy.maxMessageCodePoints(20_000)).isEqualTo(10_000);
        RouterInfo narrow = new RouterInfo(RouterLimits.ofDefaults().withMaxBodyBytes(8192), true, Optional.empty());
        assertThat(narrow.maxMessageCodePoints(8000)).isEqualTo(RouteBudget.maxQueryCodePoints(narrow.limits()))
                .isLessThan(1200);
    }

    @Test
    void theTrackerKeepsTheLatestAnswerAndIgnoresRepeats() {
        RouterInfo.Tracker tracker = new RouterInfo.Tracker("ai-router", ASSUMED, new Json().mapper());
        assertThat(tracker.current()).isEqualTo(RouterInfo.assumed(ASSUMED));
        tracker.update("{\"limits\":{\"max_history_messages\":7},\"uptime_s\":1.0}");
        tracker.update("{\"limits\":{\"max_history_messages\":7},\"uptime_s\":2.0}");
        assertThat(tracker.current().limits().maxHistoryMessages()).isEqualTo(7);
        tracker.update("{\"limits\":{\"max_history_messages\":9}}"); // a restarted router with new limits
        assertThat(tracker.current().limits().maxHistoryMessages()).isEqualTo(9);
    }
}
