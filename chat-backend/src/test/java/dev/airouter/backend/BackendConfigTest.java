package dev.airouter.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Config validation: bad values fail at once, with the rule and the value in the message. */
class BackendConfigTest {

    @Test
    void settersRejectValuesOutOfRange() {
        assertThatThrownBy(() -> BackendConfig.builder().port(70000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("port must be 0-65535").hasMessageContaining("70000");
        assertThatThrownBy(() -> BackendConfig.builder().routerPort(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("routerPort");
        assertThatThrownBy(() -> BackendConfig.builder().host(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BackendConfig.builder().routerUrl("localhost:8888"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("localhost:8888");
        assertThatThrownBy(() -> BackendConfig.builder().routerUrl("http://127.0.0.1:8888/route"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without a path");
        assertThatThrownBy(() -> BackendConfig.builder().routerCommand(List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BackendConfig.builder().corsOrigins(List.of("http://localhost:3000/")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scheme://host[:port]");
        assertThatThrownBy(() -> BackendConfig.builder().routerTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("routerTimeout");
        assertThatThrownBy(() -> BackendConfig.builder().maxBodyBytes(10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxBodyBytes").hasMessageContaining("10");
        assertThatThrownBy(() -> BackendConfig.builder().maxMessageCodePoints(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxMessageCodePoints must be 1-1000000, was 0");
        assertThatThrownBy(() -> BackendConfig.builder().routerUrl("http://127.0.0.1:8888/#x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without a path");
        assertThatThrownBy(() -> RouterLimits.ofDefaults().withMaxHistoryMessages(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxHistoryMessages must be 0-100000")
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> RouterLimits.ofDefaults().withMaxQueryCodePoints(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxQueryCodePoints");
        assertThatThrownBy(() -> RouterLimits.ofDefaults().withMaxBodyBytes(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBodyBytes must be 1-");
        assertThatThrownBy(() -> BackendConfig.builder().maxInFlight(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BackendConfig.builder().drainTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void instanceIdIsOneToSixtyFourSafeCharactersOrAClearError() {
        assertThat(BackendConfig.builder().instanceId("web-1.eu_west").build().instanceId()).contains("web-1.eu_west");
        assertThat(BackendConfig.builder().instanceId("x".repeat(64)).build().instanceId()).contains("x".repeat(64));
        assertThat(BackendConfig.builder().build().instanceId()).isEmpty();
        for (String bad : new String[] {"", "web 1", "web/1", "wéb", "x".repeat(65)}) {
            assertThatThrownBy(() -> BackendConfig.builder().instanceId(bad)).as("'%s'", bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("instanceId must be 1-64 characters of [A-Za-z0-9._-]")
                    .hasMessageContaining("was '" + bad + "' (" + bad.length() + " characters)");
        }
        assertThatThrownBy(() -> BackendConfig.builder().instanceId("a").instanceId("b"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("instanceId was already set");
    }

    @Test
    void settingAnOptionTwiceFails() {
        BackendConfig.Builder builder = BackendConfig.builder().port(1234);
        assertThatThrownBy(() -> builder.port(1235)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("port was already set");
    }

    @Test
    void buildChecksRulesBetweenOptions() {
        assertThatThrownBy(() -> BackendConfig.builder().routerUrl("http://127.0.0.1:8888")
                .routerCommand(List.of("python3", "router.py")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("conflict");
        assertThatThrownBy(() -> BackendConfig.builder().routerDirectory(Path.of("no-such-dir")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no-such-dir");
        assertThatThrownBy(() -> BackendConfig.builder().routerDirectory(Path.of("src")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no ai_router package");
        assertThat(BackendConfig.builder().routerDirectory(Path.of("src")).routerCommand(List.of("x")).build()).isNotNull();
        assertThatThrownBy(() -> BackendConfig.builder().maxBodyBytes(4096).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxBodyBytes (4096) cannot hold a message of maxMessageCodePoints (8000)");
        assertThat(BackendConfig.builder().maxBodyBytes(4096).maxMessageCodePoints(700).build().maxBodyBytes()).isEqualTo(4096);
        assertThatThrownBy(() -> BackendConfig.builder().routerLimits(RouterLimits.ofDefaults().withMaxBodyBytes(1000)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leave no room for a message")
                .hasMessageContaining("at least " + RouteBudget.minBodyBytes() + " body bytes");
        assertThatThrownBy(() -> BackendConfig.builder().routerUrl("http://me:s3cret@127.0.0.1:8888")
                .routerCommand(List.of("x")).build()).hasMessageNotContaining("s3cret").hasMessageContaining("conflict");
        assertThatThrownBy(() -> BackendConfig.builder().routerUrl("http://me:s3cret@127.0.0.1:8888/path"))
                .hasMessageNotContaining("s3cret").hasMessageContaining("without a path");
    }

    @Test
    void toBuilderKeepsEveryValueAndLetsEachBeSetOnceMore() {
        BackendConfig config = BackendConfig.builder().port(0).routerPort(0).routerCommand(List.of("my-router"))
                .routerLimits(RouterLimits.ofDefaults().withMaxHistoryMessages(7)).maxInFlight(3)
                .routerTimeout(Duration.ofSeconds(2)).instanceId("web-1").build();
        BackendConfig changed = config.toBuilder().port(4321).build();
        assertThat(changed.instanceId()).contains("web-1");
        assertThat(changed.port()).isEqualTo(4321);
        assertThat(changed.routerPort()).contains(0);
        assertThat(changed.routerCommand()).contains(List.of("my-router"));
        assertThat(changed.routerLimits().maxHistoryMessages()).isEqualTo(7);
        assertThat(changed.maxInFlight()).isEqualTo(3);
        assertThat(changed.routerTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(changed.routerUrl()).isEmpty();
        assertThatThrownBy(() -> config.toBuilder().port(1).port(2)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        BackendConfig config = BackendConfig.builder().routerDirectory(Path.of("../python-router")).build();
        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isEqualTo(3002);
        assertThat(config.routerPort()).isEmpty();
        assertThat(config.routers()).isEqualTo(1);
        assertThat(config.routerLimits()).isEqualTo(new RouterLimits(500, 10_000, 1_048_576));
        assertThat(config.maxBodyBytes()).isEqualTo(1_048_576);
        assertThat(config.maxMessageCodePoints()).isEqualTo(8000);
        assertThat(config.maxInFlight()).isEqualTo(64);
        assertThat(config.routerTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.drainTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.hasShutdownHook()).isTrue();
        assertThat(config.corsOrigins()).containsExactly("http://localhost:3000", "http://127.0.0.1:3000");
    }

    @Test
    void gettersBeforeStartFailClearly() {
        ChatBackend backend = ChatBackend.create(BackendConfig.builder().build());
        assertThatThrownBy(backend::port).isInstanceOf(IllegalStateException.class).hasMessageContaining("start()");
        assertThatThrownBy(backend::routerStatus).isInstanceOf(IllegalStateException.class);
        backend.stop();
        backend.close();
        assertThatThrownBy(backend::start).isInstanceOf(IllegalStateException.class);
    }
}
