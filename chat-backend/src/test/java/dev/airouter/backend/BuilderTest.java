package dev.airouter.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Builder validation: bad values fail at once, with the rule and the value in the message. */
class BuilderTest {

    @Test
    void settersRejectValuesOutOfRange() {
        assertThatThrownBy(() -> ChatBackend.builder().port(70000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("port must be 0-65535").hasMessageContaining("70000");
        assertThatThrownBy(() -> ChatBackend.builder().routerPort(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("routerPort");
        assertThatThrownBy(() -> ChatBackend.builder().host(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChatBackend.builder().routerUrl("localhost:8888"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("localhost:8888");
        assertThatThrownBy(() -> ChatBackend.builder().routerUrl("http://127.0.0.1:8888/route"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without a path");
        assertThatThrownBy(() -> ChatBackend.builder().routerCommand(List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChatBackend.builder().corsOrigins(List.of("http://localhost:3000/")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scheme://host[:port]");
        assertThatThrownBy(() -> ChatBackend.builder().routerTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("routerTimeout");
        assertThatThrownBy(() -> ChatBackend.builder().maxBodyBytes(10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxBodyBytes").hasMessageContaining("10");
        assertThatThrownBy(() -> ChatBackend.builder().maxMessageCodePoints(20_000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("10000");
        assertThatThrownBy(() -> ChatBackend.builder().maxInFlight(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChatBackend.builder().drainTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void settingAnOptionTwiceFails() {
        ChatBackend.Builder builder = ChatBackend.builder().port(1234);
        assertThatThrownBy(() -> builder.port(1235)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("port was already set");
    }

    @Test
    void buildChecksRulesBetweenOptions() {
        assertThatThrownBy(() -> ChatBackend.builder().routerUrl("http://127.0.0.1:8888")
                .routerCommand(List.of("python3", "router.py")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("conflict");
        assertThatThrownBy(() -> ChatBackend.builder().routerDirectory(Path.of("no-such-dir")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no-such-dir");
        assertThatThrownBy(() -> ChatBackend.builder().routerDirectory(Path.of("src")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no ai_router package");
        assertThat(ChatBackend.builder().routerDirectory(Path.of("src")).routerCommand(List.of("x")).build()).isNotNull();
    }

    @Test
    void gettersBeforeStartFailClearly() {
        ChatBackend backend = ChatBackend.builder().build();
        assertThatThrownBy(backend::port).isInstanceOf(IllegalStateException.class).hasMessageContaining("start()");
        assertThatThrownBy(backend::routerStatus).isInstanceOf(IllegalStateException.class);
        backend.stop();
        backend.close();
        assertThatThrownBy(backend::start).isInstanceOf(IllegalStateException.class);
    }
}
