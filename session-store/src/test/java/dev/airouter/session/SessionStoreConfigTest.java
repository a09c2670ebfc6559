package dev.airouter.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SessionStoreConfigTest {

    @Test
    void defaultsMatchTheDocumentation() {
        SessionStoreConfig config = SessionStoreConfig.ofDefaults();
        assertThat(config.ttl()).isEqualTo(Duration.ofMinutes(30));
        assertThat(config.historyLimit()).isEqualTo(20);
        assertThat(config.maxSessions()).isEqualTo(10_000);
        assertThat(config.redisUrl()).isEqualTo("redis://127.0.0.1:6379");
        assertThat(config.keyPrefix()).isEqualTo("airouter:session:");
        assertThat(config.commandTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.clock()).isEqualTo(Clock.systemUTC());
        assertThat(config.isRedisDisabled()).isFalse();
    }

    @Test
    void toBuilderMakesAVariantLeavingTheOriginalAlone() {
        SessionStoreConfig base = SessionStoreConfig.builder().historyLimit(50).build();
        SessionStoreConfig variant = base.toBuilder().historyLimit(5).redisUrl("none").build();
        assertThat(base.historyLimit()).isEqualTo(50);
        assertThat(variant.historyLimit()).isEqualTo(5);
        assertThat(variant.isRedisDisabled()).isTrue();
        assertThat(variant.ttl()).isEqualTo(base.ttl());
    }

    @Test
    void settersRejectBadValuesWithRuleAndValue() {
        SessionStoreConfig.Builder b = SessionStoreConfig.builder();
        assertThatThrownBy(() -> b.ttl(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ttl must be at least 1 ms, got PT0S");
        assertThatThrownBy(() -> SessionStoreConfig.builder().historyLimit(0))
                .hasMessage("historyLimit must be between 1 and 100000, got 0");
        assertThatThrownBy(() -> SessionStoreConfig.builder().maxSessions(-1))
                .hasMessage("maxSessions must be between 1 and 100000000, got -1");
        assertThatThrownBy(() -> SessionStoreConfig.builder().keyPrefix("a b"))
                .hasMessageContaining("keyPrefix must be 1-64 printable ASCII characters");
        assertThatThrownBy(() -> SessionStoreConfig.builder().keyPrefix("x{y}"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SessionStoreConfig.builder().commandTimeout(Duration.ofMillis(-5)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void redisUrlsAreCheckedAndTheirPasswordsNeverQuoted() {
        assertThatThrownBy(() -> SessionStoreConfig.builder().redisUrl("http://user:pw-123@host"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("redisUrl must start with redis://")
                .hasMessageContaining("http://user:***@host")
                .hasMessageNotContaining("pw-123");
        assertThat(SessionStoreConfig.builder().redisUrl("rediss://u:p@cache.example:6380/2").build().redisUrl())
                .startsWith("rediss://");
        assertThat(SessionStoreConfig.builder().redisUrl("redis-sentinel://pw@s1:26379,s2:26379/0#mymaster")
                .build().maskedRedisUrl()).isEqualTo("redis-sentinel://***@s1:26379,s2:26379/0#mymaster");
        assertThat(SessionStoreConfig.builder().redisUrl(" None ").build().isRedisDisabled()).isTrue();
    }

    @Test
    void settingAnOptionTwiceFails() {
        SessionStoreConfig.Builder b = SessionStoreConfig.builder().ttl(Duration.ofMinutes(5));
        assertThatThrownBy(() -> b.ttl(Duration.ofMinutes(6))).isInstanceOf(IllegalStateException.class)
                .hasMessage("ttl was already set on this builder");
    }

    @Test
    void buildRequiresTheTtlToOutlastTheCommandTimeout() {
        assertThatThrownBy(() -> SessionStoreConfig.builder().ttl(Duration.ofMillis(400)).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("ttl (400 ms) must be longer than commandTimeout (500 ms)");
    }

    @Test
    void toStringMasksThePassword() {
        SessionStoreConfig config = SessionStoreConfig.builder().redisUrl("redis://app:top-secret@db:6379").build();
        assertThat(config.toString()).contains("redis://app:***@db:6379").doesNotContain("top-secret");
        assertThat(config.maskedRedisUrl()).isEqualTo("redis://app:***@db:6379");
    }

    @Test
    void replicaAcksAreCheckedAndDefaultToHalfTheCommandTimeout() {
        SessionStoreConfig config = SessionStoreConfig.builder().replicaAcks(2).build();
        assertThat(config.replicaAcks()).isEqualTo(2);
        assertThat(config.replicaAckTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(config.toBuilder().build().replicaAcks()).isEqualTo(2);
        assertThat(SessionStoreConfig.ofDefaults().replicaAcks()).isZero();
        assertThatThrownBy(() -> SessionStoreConfig.builder().replicaAcks(17)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("replicaAcks must be between 0 and 16, got 17");
        assertThatThrownBy(() -> SessionStoreConfig.builder().replicaAcks(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SessionStoreConfig.builder().replicaAcks(1, Duration.ofMillis(500)).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("replicaAckTimeout (500 ms) must be shorter than commandTimeout (500 ms)");
        assertThatThrownBy(() -> SessionStoreConfig.builder().redisUrl("none").replicaAcks(1).build())
                .isInstanceOf(IllegalStateException.class).hasMessage("replicaAcks (1) needs Redis, but redisUrl is none");
    }

    @Test
    void sentinelUrlsAreRecognisedAndMustNameTheirMaster() {
        assertThat(SessionStoreConfig.builder().redisUrl("redis-sentinel://h1:26379,h2:26379/0#mymaster").build()
                .isSentinel()).isTrue();
        assertThat(SessionStoreConfig.ofDefaults().isSentinel()).isFalse();
        assertThatThrownBy(() -> SessionStoreConfig.builder().redisUrl("redis-sentinel://pw@h1:26379/0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("pw@")
                .hasMessageContaining("expected redis-sentinel://[password@]host1:26379,host2:26379/0#mastername");
    }
}
