package dev.airouter.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.airouter.session.SessionIds;
import dev.airouter.session.SessionStoreConfig;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The README's table of limits states the defaults the code has. */
class ReadmeLimitsTest {

    @Test
    void readmeLimitsTableStatesTheDefaultsOfTheCode() throws IOException {
        Map<String, String> defaults = new LinkedHashMap<>();
        for (List<String> row : ReadmeTables.rows("| limit | enforced by | default |")) {
            defaults.put(row.get(0), row.get(2));
        }
        BackendConfig config = BackendConfig.builder().routerCommand(java.util.List.of("any")).build();
        RouterLimits router = RouterLimits.ofDefaults();
        assertThat(defaults).as("README.md's limits table (chat-backend section)")
                .containsKeys("request body", "message length", "messages kept per session", "history sent per turn",
                        "router request body", "router query length", "session id", "agent", "requests in flight",
                        "router call time");
        assertThat(defaults.get("request body")).startsWith(config.maxBodyBytes() + " bytes");
        assertThat(defaults.get("message length")).startsWith(config.maxMessageCodePoints() + " code points");
        assertThat(defaults.get("messages kept per session"))
                .isEqualTo(Integer.toString(SessionStoreConfig.ofDefaults().historyLimit()));
        assertThat(defaults.get("history sent per turn")).contains(": " + router.maxHistoryMessages() + " for");
        assertThat(defaults.get("router request body")).endsWith(": " + router.maxBodyBytes());
        assertThat(defaults.get("router query length")).endsWith(": " + router.maxQueryCodePoints());
        assertThat(defaults.get("session id")).isEqualTo(SessionIds.RULE);
        assertThat(defaults.get("`X-Request-Id`")).isEqualTo(RequestIds.RULE);
        assertThat("x".repeat(128)).matches(r -> RequestIds.acceptOrCreate(r).equals(r));
        assertThat(RequestIds.acceptOrCreate("x".repeat(129))).isNotEqualTo("x".repeat(129));
        assertThat(defaults.get("agent")).isEqualTo("at most " + RouteBudget.MAX_AGENT_CHARS + " characters");
        assertThat(defaults.get("requests in flight")).isEqualTo(Integer.toString(config.maxInFlight()));
        assertThat(defaults.get("router call time")).isEqualTo(config.routerTimeout().toSeconds() + " s");
        assertThat(defaults.get("router silence in a stream")).isEqualTo(config.streamIdleTimeout().toSeconds() + " s");
        assertThat(defaults.get("stream duration")).isEqualTo(config.streamMaxDuration().toSeconds() + " s");
        assertThat(defaults.get("events waiting for a slow client")).isEqualTo(config.streamBufferBytes() + " bytes");
        assertThat(defaults.get("streamed reply length")).isEqualTo(config.maxReplyBytes() + " bytes");
    }
}
