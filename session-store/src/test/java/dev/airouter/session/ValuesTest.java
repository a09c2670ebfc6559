package dev.airouter.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The value types: ids, messages, sessions and their stored JSON. */
class ValuesTest {

    @Test
    void sessionIdRulesAndLogSafeMessages() {
        assertThat(SessionIds.isValid("abc-DEF_123")).isTrue();
        assertThat(SessionIds.isValid(SessionIds.random())).isTrue();
        assertThat(SessionIds.isValid("a.b")).isFalse();
        assertThat(SessionIds.RULE).isEqualTo("1-128 characters of [A-Za-z0-9_-]"); // what clients are told
        assertThatThrownBy(() -> SessionIds.requireValid("evil\nFAKE LOG LINE"))
                .isInstanceOf(InvalidSessionIdException.class)
                .hasMessage("invalid session id \"evil\\u000aFAKE LOG LINE\": character 4 is U+000A;"
                        + " expected 1-128 characters of [A-Za-z0-9_-]")
                .satisfies(e -> assertThat(((InvalidSessionIdException) e).sessionId()).isEqualTo("evil\nFAKE LOG LINE"));
        assertThatThrownBy(() -> SessionIds.requireValid("x".repeat(500)))
                .hasMessageContaining("… (500 characters)").hasMessageContaining("it has 500 characters");
    }

    @Test
    void chatMessagesValidateAndCopyTheirMetadata() {
        Map<String, Object> meta = new HashMap<>(Map.of("agent", "math"));
        ChatMessage message = ChatMessage.assistant("4").withMetadata(meta);
        meta.put("agent", "changed");
        assertThat(message.metadata()).containsEntry("agent", "math");
        assertThatThrownBy(() -> message.metadata().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> message.withMetadata(Map.of("list", List.of(1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be a String, Boolean or Number");
        assertThatThrownBy(() -> message.withMetadata(Map.of("c", Double.NaN)))
                .hasMessageContaining("must be finite");
        assertThatThrownBy(() -> ChatMessage.of(" ", "x")).hasMessageContaining("role must have");
    }

    @Test
    void storedJsonHasAFormatVersionAndIsoUtcTimestamps() {
        ChatMessage message = new ChatMessage("m1", "user", "hi", Instant.parse("2026-11-25T18:00:00.5Z"), Map.of());
        String json = SessionJson.write(message);
        assertThat(json).isEqualTo("{\"v\":1,\"id\":\"m1\",\"role\":\"user\",\"content\":\"hi\","
                + "\"ts\":\"2026-11-25T18:00:00.500Z\"}");
        assertThat(SessionJson.read("s", json)).isEqualTo(message);
    }

    @Test
    void storedJsonFromALaterMinorChangeIsStillRead() {
        String json = "{\"v\":1,\"id\":\"m1\",\"role\":\"user\",\"content\":\"hi\",\"ts\":\"2026-11-25T18:00:00Z\","
                + "\"newField\":{\"x\":1}}";
        assertThat(SessionJson.read("s", json).content()).isEqualTo("hi");
        assertThatThrownBy(() -> SessionJson.read("s", json.replace("\"v\":1", "\"v\":7")))
                .isInstanceOf(SessionStoreException.class).hasMessageContaining("format version 7");
        assertThatThrownBy(() -> SessionJson.read("s", "{not json")).isInstanceOf(SessionStoreException.class)
                .hasMessageContaining("not valid JSON");
    }

    @Test
    void sessionsValidateTheirIdAndCopyTheirMessages() {
        assertThatThrownBy(() -> Session.of("bad id", Instant.now(), List.of()))
                .isInstanceOf(InvalidSessionIdException.class);
        List<ChatMessage> messages = new java.util.ArrayList<>(List.of(ChatMessage.user("a")));
        Session session = Session.of("ok", Instant.now(), messages);
        messages.clear();
        assertThat(session.messages()).hasSize(1);
    }
}
