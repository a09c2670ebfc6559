package dev.airouter.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProcessConfigTest {

    @Test
    void missingExecutableIsNamedWithTheFix() {
        assertThatThrownBy(() -> ProcessConfig.builder("x").command("no-such-binary-4711", "--flag").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'no-such-binary-4711' was not found on PATH")
                .hasMessageContaining("give its full path");
    }

    @Test
    void nonExistentWorkingDirectoryIsNamed() {
        assertThatThrownBy(() -> ProcessConfig.builder("x").command("sh").workingDirectory(Path.of("/no/such/dir")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("workingDirectory '/no/such/dir' does not exist");
    }

    @Test
    void malformedHealthUrlIsNamed() {
        assertThatThrownBy(() -> HealthCheck.http("localhost:8888/health"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'localhost:8888/health' is not an absolute http(s) URL");
        assertThatThrownBy(() -> HealthCheck.http("ftp://127.0.0.1/x"))
                .hasMessageContaining("not an absolute http(s) URL");
    }

    @Test
    void negativeOrZeroTimeoutsAreRejectedAtOnce() {
        assertThatThrownBy(() -> ProcessConfig.builder("x").startupTimeout(Duration.ofSeconds(-1)))
                .hasMessage("startupTimeout must be positive, was PT-1S");
        assertThatThrownBy(() -> ProcessConfig.builder("x").stopGracePeriod(Duration.ofMillis(-5)))
                .hasMessage("stopGracePeriod must not be negative, was PT-0.005S");
    }

    @Test
    void settingAnOptionTwiceFails() {
        assertThatThrownBy(() -> ProcessConfig.builder("x").command("sh").command("sh"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("command was already set on this builder");
    }

    @Test
    void invalidNameAndMissingCommand() {
        assertThatThrownBy(() -> ProcessConfig.builder("../etc")).hasMessageContaining("name '../etc' is not valid");
        assertThatThrownBy(() -> ProcessConfig.builder("x").build()).hasMessageContaining("command is not set");
    }

    @Test
    void livenessNeedsAHealthCheck() {
        assertThatThrownBy(() -> ProcessConfig.builder("x").command("sh")
                .livenessProbe(LivenessProbe.of(Duration.ofSeconds(1), 3)).build())
                .hasMessageContaining("livenessProbe needs a healthCheck");
    }

    @Test
    void defaultsAndToBuilder() {
        ProcessConfig c = ProcessConfig.builder("svc").command("sh", "-c", "true")
                .healthCheck(HealthCheck.http("http://127.0.0.1:9/health")).build();
        assertThat(c.startupTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.stopGracePeriod()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.logFile()).isEqualTo(Path.of("logs", "svc.log"));
        assertThat(c.readiness()).hasSize(1);
        assertThat(c.allowAdoption()).isTrue();
        assertThat(c.jsonLog()).isFalse();
        ProcessConfig d = c.toBuilder().startupTimeout(Duration.ofSeconds(3)).jsonLog(true).build();
        assertThat(d.startupTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(d.command()).isEqualTo(c.command());
        assertThat(d.jsonLog()).isTrue();
        assertThat(d.toBuilder().build().jsonLog()).isTrue();
    }

    @Test
    void readinessIntervalStaysShortWhileYoung() {
        assertThat(Readiness.interval(1, 0)).isEqualTo(5);
        assertThat(Readiness.interval(2, 0)).isEqualTo(8);
        assertThat(Readiness.interval(3, Duration.ofMillis(20).toNanos())).isEqualTo(11);
        assertThat(Readiness.interval(20, Duration.ofSeconds(1).toNanos())).isEqualTo(25);
        assertThat(Readiness.interval(400, Duration.ofSeconds(9).toNanos())).isEqualTo(25);
        assertThat(Readiness.interval(401, Duration.ofSeconds(12).toNanos())).isEqualTo(56);
        assertThat(Readiness.interval(500, Duration.ofSeconds(60).toNanos())).isEqualTo(250);
    }
}
